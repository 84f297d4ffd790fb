import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyPatchSet, changedPaths, patchSetDigest, readPatchSet, type PatchFile } from "../../build/scripts/llama-patch-set";
import { checkPatchedPaths, pristineAddon, sourceDir } from "../../build/scripts/llama-source";
import { llamaPatchSet } from "../../electron/engine/llamaPatchSet";

const run = promisify(execFile);

let scratch: string;
beforeEach(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "reprise-patch-set-"));
});
afterEach(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

async function write(file: string, content: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content);
}

/** A git diff of `file` (relative to the patched folder) from `before` to `after`, as `git diff` writes it. */
async function diff(file: string, before: string, after: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(scratch, "diff-"));
  await write(path.join(dir, "a", file), before);
  await write(path.join(dir, "b", file), after);
  const result = await run("git", ["diff", "--no-index", "--no-prefix", "a", "b"], { cwd: dir }).catch(
    (error: { stdout: string }) => error,
  );
  // With --no-prefix the paths read "a/<file>" and "b/<file>": the a/ and b/ prefixes git itself writes.
  return result.stdout;
}

describe("the patch set's digest", () => {
  it("is the one electron/engine/llamaPatchSet.ts names, so the app finds the build of these patches", async () => {
    const digest = patchSetDigest(await readPatchSet());
    expect(llamaPatchSet, "build/llama-patches/ changed: run `npm run llama:digest` and commit the file it writes").toBe(digest);
  });

  it("is 12 hex digits that change with any file's name, content, or the set's files", () => {
    const set: PatchFile[] = [
      { name: "0001-a.patch", file: "/x/0001-a.patch", content: "one\n" },
      { name: "0002-b.patch", file: "/x/0002-b.patch", content: "two\n" },
    ];
    const digest = patchSetDigest(set);
    expect(digest).toMatch(/^[0-9a-f]{12}$/);
    expect(patchSetDigest(set.map((patch) => ({ ...patch, file: `/elsewhere/${patch.name}` })))).toBe(digest);
    expect(patchSetDigest([set[0]!, { ...set[1]!, content: "two \n" }])).not.toBe(digest);
    expect(patchSetDigest([set[0]!, { ...set[1]!, name: "0003-b.patch" }])).not.toBe(digest);
    expect(patchSetDigest([set[0]!])).not.toBe(digest);
    // Names and contents are framed: moving text from one to the other is another set.
    expect(patchSetDigest([{ ...set[0]!, name: "0001-a.patchone\n", content: "" }, set[1]!])).not.toBe(digest);
  });

  it("reads the .patch files of a folder in name order, and nothing else", async () => {
    await write(path.join(scratch, "0002-b.patch"), "two\n");
    await write(path.join(scratch, "0001-a.patch"), "one\n");
    await write(path.join(scratch, "README.md"), "about them\n");
    const set = await readPatchSet(scratch);
    expect(set.map((patch) => [patch.name, patch.file, patch.content])).toEqual([
      ["0001-a.patch", path.join(scratch, "0001-a.patch"), "one\n"],
      ["0002-b.patch", path.join(scratch, "0002-b.patch"), "two\n"],
    ]);
  });
});

describe("applyPatchSet", () => {
  // The patched tree sits in an ignored folder of another repository, as node_modules does in Reprise's checkout.
  let root: string;
  let patches: string;
  beforeEach(async () => {
    await run("git", ["init", "-q", scratch]);
    await write(path.join(scratch, ".gitignore"), "tree/\n");
    root = path.join(scratch, "tree", "llama");
    patches = path.join(scratch, "patches");
    await write(path.join(root, "addon", "a.cpp"), "int a = 1;\n");
    await write(path.join(root, "llama.cpp", "b.cpp"), "int b = 1;\n");
    await write(path.join(patches, "0001-a.patch"), await diff("addon/a.cpp", "int a = 1;\n", "int a = 2;\n"));
    await write(
      path.join(patches, "0002-ab.patch"),
      (await diff("addon/a.cpp", "int a = 2;\n", "int a = 3;\n")) + (await diff("llama.cpp/b.cpp", "int b = 1;\n", "int b = 2;\n")),
    );
  });

  it("applies the patches in name order to the tree they were written against", async () => {
    await applyPatchSet(root, await readPatchSet(patches));
    expect(await fs.readFile(path.join(root, "addon", "a.cpp"), "utf8")).toBe("int a = 3;\n");
    expect(await fs.readFile(path.join(root, "llama.cpp", "b.cpp"), "utf8")).toBe("int b = 2;\n");
  });

  it("stops at a patch that does not apply, naming it, and leaves that patch's files as they were", async () => {
    // The tree moved on under 0002: its second file no longer holds what the patch expects.
    await write(path.join(root, "llama.cpp", "b.cpp"), "int b = 7;\n");
    await expect(applyPatchSet(root, await readPatchSet(patches))).rejects.toThrow(/0002-ab\.patch does not apply to .*revise it/s);
    expect(await fs.readFile(path.join(root, "addon", "a.cpp"), "utf8")).toBe("int a = 2;\n");
    expect(await fs.readFile(path.join(root, "llama.cpp", "b.cpp"), "utf8")).toBe("int b = 7;\n");
  });

  it("does not apply on top of a tree it has already patched", async () => {
    const set = await readPatchSet(patches);
    await applyPatchSet(root, set);
    await expect(applyPatchSet(root, set)).rejects.toThrow(/0001-a\.patch does not apply/);
  });
});

describe("checkPatchedPaths", () => {
  it("stops at a patch that changes a file outside the folders the build lays fresh", async () => {
    const outside = await diff("CMakeLists.txt", "a\n", "b\n");
    const inside = await diff("addon/a.cpp", "a\n", "b\n");
    expect(() => checkPatchedPaths([{ name: "0001-ok.patch", file: "", content: inside }])).not.toThrow();
    expect(() => checkPatchedPaths([{ name: "0002-cmake.patch", file: "", content: outside }])).toThrow(
      /0002-cmake\.patch changes CMakeLists\.txt/,
    );
  });
});

describe("Reprise's patch set", () => {
  it("applies to the pristine release node-llama-cpp ships, and changes exactly the files it names", async () => {
    const set = await readPatchSet();
    checkPatchedPaths(set);
    // The tree as the build lays it: llama.cpp from node-llama-cpp's bundle with its own fixes, the addon from its tarball.
    const llamaCpp = path.join(scratch, "llama.cpp");
    await run("git", ["clone", "--quiet", path.join(sourceDir, "gitRelease.bundle"), llamaCpp]);
    const ownPatches = (await fs.readdir(path.join(sourceDir, "patches"))).map((name) => path.join(sourceDir, "patches", name));
    for (const patch of ownPatches) await run("git", ["apply", "--ignore-whitespace", patch], { cwd: llamaCpp });
    const { stdout: ownFiles } = await run("git", ["diff", "--name-only"], { cwd: llamaCpp });
    await pristineAddon(scratch);
    const addonFile = path.join(scratch, "addon", "AddonContext.cpp");
    const pristine = await fs.readFile(addonFile, "utf8");

    await applyPatchSet(scratch, set);

    const { stdout: changed } = await run("git", ["diff", "--name-only"], { cwd: llamaCpp });
    const expected = set
      .flatMap(changedPaths)
      .filter((file) => file.startsWith("llama.cpp/"))
      .map((file) => file.slice("llama.cpp/".length))
      .concat(ownFiles.split("\n").filter(Boolean));
    expect(changed.split("\n").filter(Boolean).sort()).toEqual([...new Set(expected)].sort());
    expect(await fs.readFile(path.join(llamaCpp, "ggml/src/ggml-cpu/ops.cpp"), "utf8")).toContain(
      "reprise_flash_attn_ext_f16_rows(dst, ir0, ir1);",
    );
    const patched = await fs.readFile(addonFile, "utf8");
    expect(pristine).not.toContain("greedyToken");
    expect(pristine).not.toContain("AddonDecodeThread");
    expect(patched).toContain("const llama_token greedy = greedyToken(ctx, sampler, info[0].As<Napi::Number>().Int32Value());");
    expect(patched).toContain("AddonDecodeThread::post(");
    expect(patched).not.toContain("class AddonContextDecodeBatchWorker");
  });
});
