/**
 * `npm run llama:build`: compiles llama.cpp for the CPU from the source that
 * node-llama-cpp ships (no network), configured and patched so that a batch
 * of drafted tokens evaluates bit-identically to one token at a time, and
 * verifies faster (see `cpuBuildOptions` and `llamaPatches`). It needs CMake
 * and a C++ compiler and takes a few minutes once; a later run finds the
 * build and returns at once. Without it the app runs on the prebuilt
 * binaries, where drafting can stay exact only on one thread.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { cpuBuildOptions } from "../../electron/engine/llama";
import { applyPatch, llamaPatches } from "./llama-patches";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.resolve("node-llama-cpp"))), "..");
const sourceDir = path.join(packageDir, "llama");

async function patchSource(): Promise<void> {
  // node-llama-cpp's own helper clones its bundled llama.cpp release; it is not a public export.
  const cloneModule = path.join(packageDir, "dist", "bindings", "utils", "cloneLlamaCppRepo.js");
  const { ensureLlamaCppRepoIsCloned } = (await import(cloneModule)) as {
    ensureLlamaCppRepoIsCloned(options: { progressLogs: "stderr" }): Promise<void>;
  };
  await ensureLlamaCppRepoIsCloned({ progressLogs: "stderr" });
  for (const patch of llamaPatches) {
    const file = path.join(sourceDir, patch.file);
    await fs.writeFile(file, applyPatch(await fs.readFile(file, "utf8"), patch));
  }
}

const started = performance.now();
await patchSource();
const llama = await getLlama({
  gpu: false,
  build: "auto",
  usePrebuiltBinaries: false,
  cmakeOptions: cpuBuildOptions,
  logLevel: LlamaLogLevel.error,
  progressLogs: "stderr",
});
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`llama.cpp for exact drafting on the CPU (${llama.buildType}) ready in ${seconds} s`);
await llama.dispose();
