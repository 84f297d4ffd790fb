/**
 * Compiles llama.cpp for the CPU from the source node-llama-cpp ships (no
 * network), laid fresh and patched with `build/llama-patches/`, with one of
 * the option sets of `cpuBuilds`. It needs git, CMake and a C++ compiler.
 * node-llama-cpp keeps each build under a name made from its options, the
 * patch set's digest among them: when that build exists it is loaded and not
 * compiled again, since the same patch set on the same release gives the
 * same source.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { cpuBuilds, type CpuBuild } from "../../electron/engine/llama";
import { llamaPatchSet } from "../../electron/engine/llamaPatchSet";
import { applyPatchSet, patchSetDigest, readPatchSet } from "./llama-patch-set";
import { checkPatchedPaths, layPristineSource, packageDir, sourceDir } from "./llama-source";

export async function compileLlamaCpp(build: CpuBuild): Promise<Llama> {
  const patches = await readPatchSet();
  const digest = patchSetDigest(patches);
  if (digest !== llamaPatchSet) {
    throw new Error(
      `build/llama-patches/ is patch set ${digest}, electron/engine/llamaPatchSet.ts names ${llamaPatchSet}: run \`npm run llama:digest\``,
    );
  }
  checkPatchedPaths(patches);
  await layPristineSource();
  await applyPatchSet(sourceDir, patches);
  return getLlama({
    gpu: false,
    build: "auto",
    usePrebuiltBinaries: false,
    cmakeOptions: cpuBuilds[build],
    logLevel: LlamaLogLevel.error,
    progressLogs: "stderr",
  });
}

/** Where node-llama-cpp keeps the build `llama` was loaded from, and the platform part of its name. */
async function localBuild(llama: Llama): Promise<{ dir: string; folder: string; prefix: string }> {
  // node-llama-cpp names the folder with helpers that are not public exports.
  const util = (name: string) => import(pathToFileURL(path.join(packageDir, "dist", "bindings", "utils", name)).href);
  const { getPlatform } = (await util("getPlatform.js")) as { getPlatform(): string };
  const { getBuildFolderNameForBuildOptions } = (await util("getBuildFolderNameForBuildOptions.js")) as {
    getBuildFolderNameForBuildOptions(options: object): Promise<{ withCustomCmakeOptions: string }>;
  };
  const { withCustomCmakeOptions: folder } = await getBuildFolderNameForBuildOptions({
    platform: getPlatform(),
    arch: process.arch,
    gpu: llama.gpu,
    llamaCpp: llama.llamaCppRelease,
    customCmakeOptions: new Map(Object.entries(llama.cmakeOptions)),
  });
  const dir = path.join(sourceDir, "localBuilds", folder);
  try {
    await fs.access(dir);
  } catch {
    throw new Error(`node-llama-cpp's build of ${JSON.stringify(llama.cmakeOptions)} is not in localBuilds/${folder}`);
  }
  return { dir, folder, prefix: `${getPlatform()}-${process.arch}-` };
}

/** The folder of node-llama-cpp's `llama/localBuilds` that `llama` was loaded from. */
export async function localBuildFolder(llama: Llama): Promise<string> {
  return (await localBuild(llama)).dir;
}

/**
 * What tells the build `llama` was loaded from apart from the platform's other
 * builds: the part of its `llama/localBuilds` folder's name after the
 * platform and architecture, "<platform>-<arch>-<this>".
 */
export async function localBuildSuffix(llama: Llama): Promise<string> {
  const { folder, prefix } = await localBuild(llama);
  if (!folder.startsWith(prefix)) throw new Error(`localBuilds/${folder} does not start with ${prefix}`);
  return folder.slice(prefix.length);
}
