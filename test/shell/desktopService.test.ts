import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { StateFiles } from "../../electron/chat/stateFiles";
import { openDesktopService, type DesktopService } from "../../electron/shell/desktopService";
import { testModelPath } from "../helpers/model";
import { expectDone } from "../chat/helpers";

const dirs: string[] = [];
const services: DesktopService[] = [];

afterEach(async () => {
  for (const service of services.splice(0)) await service.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-desktop-"));
  dirs.push(dir);
  return dir;
}

/** The desktop app's service on `dataDir`, with no model unless one is named (no model cache either way). */
function open(dataDir: string, modelPath?: string): DesktopService {
  const env = { REPRISE_CACHE_DIR: path.join(dataDir, "no-cache"), ...(modelPath ? { REPRISE_MODEL: modelPath } : {}) };
  const service = openDesktopService(dataDir, "test", env);
  services.push(service);
  return service;
}

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe("the desktop app's service", () => {
  it("keeps the data folder readable by its owner only: folder 0700, database, its -wal and -shm, settings 0600", async () => {
    const dataDir = path.join(tempDir(), "data");
    // A folder and files left wide open by an earlier version are closed too.
    fs.mkdirSync(dataDir, { mode: 0o755 });
    fs.chmodSync(dataDir, 0o755);
    fs.writeFileSync(path.join(dataDir, "settings.json"), "{}\n", { mode: 0o644 });
    fs.writeFileSync(path.join(dataDir, "config.json"), "{}\n", { mode: 0o644 });
    const service = open(dataDir);
    await service.api.createConversation({});
    expect(mode(dataDir)).toBe(0o700);
    for (const name of ["reprise.db", "reprise.db-wal", "reprise.db-shm", "settings.json", "config.json"]) {
      expect(mode(path.join(dataDir, name)), name).toBe(0o600);
    }
    // A settings file written anew is born 0600 too.
    fs.rmSync(path.join(dataDir, "settings.json"));
    await service.api.updateSettings({ temperature: 0.5 });
    expect(mode(path.join(dataDir, "settings.json"))).toBe(0o600);
  });

  it("continues a conversation after a restart from the evaluated state it saved in the data folder's state/", async () => {
    const dataDir = tempDir();
    // One thread: this machine's two cores are shared (the threads setting is the desktop app's way to say so).
    fs.writeFileSync(path.join(dataDir, "settings.json"), JSON.stringify({ threads: 1, maxTokens: 8 }));
    const modelPath = await testModelPath();
    const first = open(dataDir, modelPath);
    expect(first.startupModel).toBe(modelPath);
    await first.load(first.startupModel!);
    const { id } = await first.api.createConversation({});
    expectDone(await first.api.sendMessage({ conversationId: id, text: "Name a colour." }, () => {}));
    await first.close();
    services.splice(services.indexOf(first), 1);

    const stateDir = path.join(dataDir, "state");
    const saved = fs.readdirSync(stateDir).filter((name) => name.endsWith(".state"));
    expect(saved).toHaveLength(1);
    expect(mode(stateDir)).toBe(0o700);
    expect(mode(path.join(stateDir, saved[0]!))).toBe(0o600);

    const loads = vi.spyOn(StateFiles.prototype, "load");
    const second = open(dataDir, modelPath);
    await second.load(second.startupModel!);
    const end = expectDone(await second.api.sendMessage({ conversationId: id, text: "Name another one." }, () => {}));
    expect(end.message.status).toBe("complete");
    // The conversation's state was read from the file the first run saved, not evaluated from its history.
    expect(loads).toHaveBeenCalledTimes(1);
    expect(loads.mock.calls[0]![1]).toBe(id);
    expect(await loads.mock.results[0]!.value).toBe(true);
  });
});
