/**
 * `npm run llama:build`: compiles llama.cpp for the CPU from the source that
 * node-llama-cpp ships (no network), configured so that a batch of drafted
 * tokens evaluates bit-identically to one token at a time (see
 * `cpuBuildOptions`). It needs CMake and a C++ compiler and takes a few
 * minutes once; a later run finds the build and returns at once. Without it
 * the app runs on the prebuilt binaries, where drafting can stay exact only on
 * one thread.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { cpuBuildOptions } from "../../electron/engine/llama";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.resolve("node-llama-cpp"))), "..");
const opsFile = path.join(packageDir, "llama", "llama.cpp", "ggml", "src", "ggml-cpu", "ops.cpp");

/**
 * For one query token over 512 or more cached ones, ggml's CPU flash attention
 * splits the cache across threads and merges the partial softmaxes: another
 * rounding than the row-by-row path every batch of 2 to 63 tokens takes. With
 * the split off, plain decoding takes that same path.
 */
const splitKv = "const bool use_split_kv_path = !use_ref &&";
const noSplitKv = "const bool use_split_kv_path = false && !use_ref &&";

async function patchSource(): Promise<void> {
  // node-llama-cpp's own helper clones its bundled llama.cpp release; it is not a public export.
  const cloneModule = path.join(packageDir, "dist", "bindings", "utils", "cloneLlamaCppRepo.js");
  const { ensureLlamaCppRepoIsCloned } = (await import(cloneModule)) as {
    ensureLlamaCppRepoIsCloned(options: { progressLogs: "stderr" }): Promise<void>;
  };
  await ensureLlamaCppRepoIsCloned({ progressLogs: "stderr" });
  const source = await fs.readFile(opsFile, "utf8");
  if (source.includes(noSplitKv)) return;
  if (!source.includes(splitKv)) {
    throw new Error(`${opsFile} has no "${splitKv}": this llama.cpp release needs its exactness patch revised`);
  }
  await fs.writeFile(opsFile, source.replace(splitKv, noSplitKv));
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
