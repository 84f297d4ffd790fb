import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { testModelPath } from "../helpers/model";

const script = path.join(import.meta.dirname, "fixtures", "decodeThenExit.ts");

function run(mode: "dispose" | "leave"): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  return testModelPath().then(
    (model) =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", script, model, mode], { stdio: ["ignore", "pipe", "inherit"] });
        let stdout = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.on("error", reject);
        child.on("exit", (code, signal) => resolve({ code, signal, stdout }));
      }),
  );
}

// The decode thread's callback once made every such process abort at exit (SIGABRT, after its work was done).
describe("a process that decoded on the real model", () => {
  it.each(["dispose", "leave"] as const)("ends cleanly when its event loop drains (%s)", async (mode) => {
    const { code, signal, stdout } = await run(mode);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(stdout.trim().length).toBeGreaterThan(0);
  }, 120_000);
});
