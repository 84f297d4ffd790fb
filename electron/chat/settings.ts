import fs from "node:fs";
import path from "node:path";
import { settingsSchema, type Settings } from "../api/contract";
import { ValidationError } from "../api/schema";
import { defaultSettings } from "./defaultSettings";

/**
 * App-wide settings, kept as JSON in the data folder (`settings.json`), or only in memory when no
 * folder is given. A file edited by hand into something invalid is not fatal: its valid fields are
 * kept, the rest fall back to their defaults, and `problem` says what was wrong.
 */
export class SettingsStore {
  private current: Settings;
  readonly problem: string | null = null;

  constructor(private readonly file: string | null) {
    this.current = { ...defaultSettings };
    if (!file || !fs.existsSync(file)) return;
    try {
      const saved = JSON.parse(fs.readFileSync(file, "utf8")) as { [key: string]: unknown };
      for (const key of Object.keys(defaultSettings) as (keyof Settings)[]) {
        const candidate = { ...this.current, [key]: saved[key] ?? this.current[key] };
        try {
          this.current = settingsSchema.parse(candidate, { path: "settings" });
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          this.problem = `${file}: ${error.message}`;
        }
      }
    } catch (error) {
      this.problem = `${file}: ${(error as Error).message}`;
    }
  }

  get(): Settings {
    return { ...this.current };
  }

  update(patch: Partial<Settings>): Settings {
    const next = settingsSchema.parse({ ...this.current, ...patch }, { path: "settings" });
    if (this.file) {
      // Written aside and renamed, so a crash mid-write never leaves half a file.
      const temp = `${this.file}.${process.pid}.tmp`;
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      // Readable by the user only, like everything in the data folder.
      fs.writeFileSync(temp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
      fs.renameSync(temp, this.file);
    }
    this.current = next;
    return this.get();
  }
}
