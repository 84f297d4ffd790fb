/**
 * Compiles llama.cpp for the CPU from the source node-llama-cpp ships (no
 * network), laid fresh and patched with `build/llama-patches/`, with
 * `cpuBuildOptions`. It needs git, CMake and a C++ compiler.
 * node-llama-cpp keeps each build under a name made from its options, the
 * patch set's digest among them: when that build exists it is loaded and not
 * compiled again, since the same patch set on the same release gives the
 * same source.
 */
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { cpuBuildOptions } from "../../electron/engine/llama";
import { llamaPatchSet } from "../../electron/engine/llamaPatchSet";
import { applyPatchSet, patchSetDigest, readPatchSet } from "./llama-patch-set";
import { checkPatchedPaths, layPristineSource, sourceDir } from "./llama-source";

export async function compileLlamaCpp(): Promise<Llama> {
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
    cmakeOptions: cpuBuildOptions,
    logLevel: LlamaLogLevel.error,
    progressLogs: "stderr",
  });
}
