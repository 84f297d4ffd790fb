import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { chromiumPath } from "./harness";

describe("chromiumPath", () => {
  it("takes CHROMIUM_PATH when it names an executable", () => {
    expect(chromiumPath({ CHROMIUM_PATH: process.execPath })).toBe(process.execPath);
  });

  it("says how to get Chromium when there is none, instead of failing at launch", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-chromium-"));
    const notExecutable = path.join(dir, "chromium");
    fs.writeFileSync(notExecutable, "");
    try {
      for (const file of [path.join(dir, "missing"), notExecutable]) {
        expect(() => chromiumPath({ CHROMIUM_PATH: file })).toThrow(
          `there is no executable at ${file} (CHROMIUM_PATH). Install Debian's with \`apt-get install chromium\`, or set CHROMIUM_PATH`,
        );
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
