import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkPeerBinary } from "./peer";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-peer-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("checkPeerBinary", () => {
  it("takes an executable file and gives its absolute path", () => {
    const file = path.join(dir, "llama-server");
    fs.writeFileSync(file, "#!/bin/sh\n", { mode: 0o755 });
    expect(checkPeerBinary(path.relative(process.cwd(), file))).toBe(file);
  });

  it("refuses a missing file, a file that cannot run and a folder, saying how to build one", () => {
    const plain = path.join(dir, "notes.txt");
    fs.writeFileSync(plain, "", { mode: 0o644 });
    for (const bad of [path.join(dir, "missing"), plain, dir]) {
      expect(() => checkPeerBinary(bad)).toThrow(/not an executable file.*npm run peer:build/);
    }
  });
});
