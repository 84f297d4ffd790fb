/**
 * Reprise's patch set for the native source node-llama-cpp ships: the
 * `NNNN-name.patch` files of `build/llama-patches/`, each a git diff whose
 * paths are relative to node-llama-cpp's `llama` folder (`llama.cpp/...` for
 * llama.cpp, `addon/...` for node-llama-cpp's addon), applied in name order.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const patchesDir = path.resolve(import.meta.dirname, "../llama-patches");

export interface PatchFile {
  name: string;
  file: string;
  content: string;
}

/** The `.patch` files of `dir`, in name order: the order they apply in. */
export async function readPatchSet(dir: string = patchesDir): Promise<PatchFile[]> {
  const names = (await fs.readdir(dir)).filter((name) => name.endsWith(".patch")).sort();
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name);
      return { name, file, content: await fs.readFile(file, "utf8") };
    }),
  );
}

/**
 * 12 hex digits of a SHA-256 over every file's name and content, in order:
 * renaming, reordering, editing, adding or removing a patch changes it.
 */
export function patchSetDigest(patches: readonly PatchFile[]): string {
  const hash = createHash("sha256");
  for (const { name, content } of patches) hash.update(`${name}\0${content}\0`);
  return hash.digest("hex").slice(0, 12);
}

/** The paths a patch changes, relative to the folder it applies in. */
export function changedPaths(patch: PatchFile): string[] {
  return [...patch.content.matchAll(/^diff --git a\/(\S+) b\/(\S+)$/gm)].flatMap((match) => [match[1]!, match[2]!]);
}

function gitEnv(root: string): NodeJS.ProcessEnv {
  return { ...process.env, GIT_CEILING_DIRECTORIES: path.dirname(path.resolve(root)) };
}

/** Whether `patch` is applied to the tree at `root`: it reverses cleanly. */
export function isApplied(root: string, patch: PatchFile): Promise<boolean> {
  return run("git", ["apply", "--reverse", "--check", patch.file], { cwd: root, env: gitEnv(root) }).then(
    () => true,
    () => false,
  );
}

/**
 * Applies `patches` in order to the tree at `root`, each one whole or not at
 * all; the first that does not apply stops with an error naming it. git runs
 * as a plain patch tool here: the ceiling keeps it from taking a repository
 * around `root` (Reprise's own checkout, around node_modules) for the tree.
 */
export async function applyPatchSet(root: string, patches: readonly PatchFile[]): Promise<void> {
  const env = gitEnv(root);
  for (const patch of patches) {
    try {
      await run("git", ["apply", patch.file], { cwd: root, env });
    } catch (error) {
      const detail = (error as { stderr?: string }).stderr?.trim() || String(error);
      throw new Error(`${path.relative(process.cwd(), patch.file)} does not apply to ${root}; revise it for this release:\n${detail}`);
    }
  }
}
