import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const script = path.resolve(import.meta.dirname, "../../build/scripts/llama-install.ts");

/** A PATH that holds node and git, and neither CMake nor a C++ compiler: a machine without build tools. */
const bare = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-bare-path-"));
fs.symlinkSync(process.execPath, path.join(bare, "node"));
const git = ["/usr/bin/git", "/usr/local/bin/git"].find((file) => fs.existsSync(file));
if (git) fs.symlinkSync(git, path.join(bare, "git"));
afterAll(() => fs.rmSync(bare, { recursive: true, force: true }));

async function install(env: Record<string, string>): Promise<string> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", script], {
    env: { HOME: os.homedir(), ...env },
    cwd: path.resolve(import.meta.dirname, "../.."),
  });
  return stdout;
}

describe("the install's llama.cpp build (build/scripts/llama-install.ts)", () => {
  it("succeeds without CMake and a C++ compiler, and says in one line what to install for the exact build", async () => {
    const out = await install({ PATH: bare, CXX: "" });
    expect(out.trim().split("\n")).toEqual([
      expect.stringMatching(/^llama-install: (git, )?CMake, a C\+\+ compiler not found, so replies are drafted on node-llama-cpp's prebuilt llama\.cpp/),
    ]);
    expect(out).toContain("install them (e.g. `sudo apt install git cmake g++`), then run `npm run llama:build`");
  });

  it("builds nothing when REPRISE_PREBUILT_LLAMA=1 asks for the prebuilt binary", async () => {
    const out = await install({ PATH: process.env.PATH!, REPRISE_PREBUILT_LLAMA: "1" });
    expect(out).toBe("llama-install: REPRISE_PREBUILT_LLAMA=1, so llama.cpp is not built: replies are drafted on node-llama-cpp's prebuilt llama.cpp, where drafts are cut short or off.\n");
  });
});
