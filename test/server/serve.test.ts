import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { maxDraftLength } from "../../electron/engine/draftPolicy";
import { spawnServe, type ServeProcess } from "./serveProcess";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-serve-"));
let p: ServeProcess | undefined;
afterAll(() => {
  if (p?.child.exitCode === null) p.child.kill("SIGKILL");
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("npm run serve", () => {
  it("prints what the model's first use measured: the exact batch on this binary and the self-check's result", async () => {
    p = await spawnServe(dataDir);
    const until = Date.now() + 110_000;
    while (!/Drafting calibrated.*\n/.test(p.output()) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
    // The checkout's tests run on Reprise's build, which the install made: every draft length is exact there.
    expect(p.output()).toMatch(
      new RegExp(
        `Drafting calibrated on Reprise's llama.cpp build, cpu: exact batch ${maxDraftLength + 1} tokens, drafts of up to ${maxDraftLength}, self-check passed; plain \\d+ tokens/s\\.\\n`,
      ),
    );
  });
});
