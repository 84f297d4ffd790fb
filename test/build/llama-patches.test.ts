import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { applyPatch, llamaPatches, type SourcePatch } from "../../build/scripts/llama-patches";
import { cpuBuildOptions } from "../../electron/engine/llama";

const patch: SourcePatch = { file: "a.cpp", anchor: "int x = 1;", replacement: "int x = 2;" };

describe("applyPatch", () => {
  it("replaces the anchor once, and leaves a patched source as it is", () => {
    const patched = applyPatch("a\nint x = 1;\nb", patch);
    expect(patched).toBe("a\nint x = 2;\nb");
    expect(applyPatch(patched, patch)).toBe(patched);
  });

  it("stops when the anchor is missing or not unique, naming the file", () => {
    expect(() => applyPatch("int y = 1;", patch)).toThrow(/a\.cpp: expected "int x = 1;" once, found it 0 times/);
    expect(() => applyPatch("int x = 1; int x = 1;", patch)).toThrow(/found it 2 times/);
  });
});

describe("llamaPatches", () => {
  it("are the patch set REPRISE_LLAMA_PATCHES names", () => {
    // A build is found again by its options alone: a changed patch set must change the name, or
    // machines keep running their old build. On a failure, bump REPRISE_LLAMA_PATCHES in
    // electron/engine/llama.ts and record the new digest here.
    const digest = createHash("sha256").update(JSON.stringify(llamaPatches)).digest("hex").slice(0, 16);
    expect({ version: cpuBuildOptions.REPRISE_LLAMA_PATCHES, digest }).toEqual({ version: "7", digest: "f86a649680092f2c" });
  });
});
