import path from "node:path";
import { describe, expect, it } from "vitest";
import { isApplied, readPatchSet } from "../../build/scripts/llama-patch-set";
import { packageDir } from "../../build/scripts/llama-source";

const dir = path.resolve(import.meta.dirname, "../../build/node-llama-cpp-patches");

describe("build/node-llama-cpp-patches", () => {
  it("are all applied to the installed node-llama-cpp by the install", async () => {
    const patches = await readPatchSet(dir);
    expect(patches.length).toBeGreaterThan(0);
    for (const patch of patches) expect(await isApplied(packageDir, patch), patch.name).toBe(true);
  });
});
