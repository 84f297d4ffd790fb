/**
 * Lays node-llama-cpp's native source out as it shipped, so that Reprise's
 * patches always apply to the pristine release and never on top of an earlier
 * build's changes: llama.cpp cloned anew from node-llama-cpp's git bundle (and
 * node-llama-cpp's own fixes to it applied, as its build does), and the addon
 * taken from the very package tarball `npm install` installed, checked
 * against package-lock.json. The addon has no other pristine copy: the
 * installed one is what earlier builds patched in place.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { changedPaths, type PatchFile } from "./llama-patch-set";

const run = promisify(execFile);

export const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.resolve("node-llama-cpp"))), "..");
/** node-llama-cpp's `llama` folder, where the patches' paths start. */
export const sourceDir = path.join(packageDir, "llama");
const projectDir = path.resolve(import.meta.dirname, "../..");

/** The folders of `sourceDir` laid fresh here, and so the only ones a patch may change. */
const freshFolders = ["llama.cpp/", "addon/"];

/** Stops at the first patch that changes a file outside the folders laid fresh, naming both. */
export function checkPatchedPaths(patches: readonly PatchFile[]): void {
  for (const patch of patches) {
    const outside = changedPaths(patch).find((file) => !freshFolders.some((folder) => file.startsWith(folder)));
    if (outside !== undefined) {
      throw new Error(`${patch.name} changes ${outside}: a patch may change only files under ${freshFolders.join(" or ")}`);
    }
  }
}

/** Re-creates llama.cpp from node-llama-cpp's bundled release, and the addon from its tarball. */
export async function layPristineSource(): Promise<void> {
  await freshLlamaCpp();
  await pristineAddon(sourceDir);
}

async function freshLlamaCpp(): Promise<void> {
  await fs.rm(path.join(sourceDir, "llama.cpp"), { recursive: true, force: true });
  await fs.rm(path.join(sourceDir, "llama.cpp.info.json"), { force: true });
  // node-llama-cpp's own helper clones its bundled release and applies its `llama/patches`; it is not a public export.
  const cloneModule = path.join(packageDir, "dist", "bindings", "utils", "cloneLlamaCppRepo.js");
  const { ensureLlamaCppRepoIsCloned } = (await import(pathToFileURL(cloneModule).href)) as {
    ensureLlamaCppRepoIsCloned(options: { progressLogs: "stderr" }): Promise<void>;
  };
  await ensureLlamaCppRepoIsCloned({ progressLogs: "stderr" });
}

/** Replaces `llamaDir`'s `addon` folder with the one in the installed node-llama-cpp's tarball. */
export async function pristineAddon(llamaDir: string): Promise<void> {
  const { version } = JSON.parse(await fs.readFile(path.join(packageDir, "package.json"), "utf8")) as { version: string };
  const locked = await lockedPackage();
  if (locked.version !== version) {
    throw new Error(`node-llama-cpp ${version} is installed but package-lock.json holds ${locked.version}: run \`npm ci\``);
  }
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "reprise-node-llama-cpp-"));
  try {
    // npm serves the tarball from its cache, where the install left it, and fetches it only when the cache lost it.
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const args = ["pack", `node-llama-cpp@${version}`, "--prefer-offline", "--ignore-scripts", "--silent", "--pack-destination", scratch];
    const { stdout } = await run(npm, args, { cwd: projectDir, shell: process.platform === "win32" });
    const tarball = path.join(scratch, stdout.trim().split(/\r?\n/).at(-1)!);
    const integrity = `sha512-${createHash("sha512").update(await fs.readFile(tarball)).digest("base64")}`;
    if (integrity !== locked.integrity) {
      throw new Error(`${tarball} is not the node-llama-cpp ${version} that package-lock.json names (${integrity})`);
    }
    await run("tar", ["-xzf", tarball, "-C", scratch, "package/llama/addon"]);
    const addon = path.join(llamaDir, "addon");
    await fs.rm(addon, { recursive: true, force: true });
    await fs.cp(path.join(scratch, "package", "llama", "addon"), addon, { recursive: true });
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

async function lockedPackage(): Promise<{ version: string; integrity: string }> {
  const lock = JSON.parse(await fs.readFile(path.join(projectDir, "package-lock.json"), "utf8")) as {
    packages?: Record<string, { version?: string; integrity?: string }>;
  };
  const entry = lock.packages?.["node_modules/node-llama-cpp"];
  if (!entry?.version || !entry.integrity) throw new Error("package-lock.json names no node-llama-cpp tarball: run `npm install`");
  return { version: entry.version, integrity: entry.integrity };
}
