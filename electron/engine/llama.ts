import path from "node:path";
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { llamaPatchSet } from "./llamaPatchSet";

/**
 * On x86, ggml's AMX kernels are left out of the native build (the portable
 * one keeps its Sapphire Rapids variant as ggml defines it). Some virtual
 * machines report AMX in CPUID while their kernel leaves the tile state off:
 * `-march=native` then compiles the tile kernels in and the first batch of a
 * prompt dies of SIGILL (seen on this project's CI machines, and llama-server
 * built with stock options dies the same way there). Where AMX does run, its
 * tile kernels multiply a batch by another path than a single token, as
 * repacked weights do. GCC lets an explicit `-mno-*` win over `-march=native`
 * whichever comes first; test/engine/llama.test.ts checks the flags reach
 * every source of the CPU backend.
 */
export const noAmxFlags = process.arch === "x64" ? "-mno-amx-tile -mno-amx-int8 -mno-amx-bf16" : null;

/** cmake-js sets `CMAKE_CXX_FLAGS` itself, so the flags go after the Release build's defaults. */
const noAmxOptions: Record<string, string> =
  noAmxFlags === null
    ? {}
    : { CMAKE_C_FLAGS_RELEASE: `-O3 -DNDEBUG ${noAmxFlags}`, CMAKE_CXX_FLAGS_RELEASE: `-O3 -DNDEBUG ${noAmxFlags}` };

/**
 * The CMake options of Reprise's own CPU builds of llama.cpp, made so that
 * drafts verified in one batch come out exactly as plain decoding. The
 * prebuilt CPU binaries repack quantized weights at load time for blocked
 * matrix kernels that round a batch of 4 or more tokens differently from one
 * token; repacking is off here. The source is patched too, by the files of
 * `build/llama-patches/`: flash attention's split of a single token's
 * attention across threads is off and each of its rows is summed in F32 in
 * three passes, its scores in SIMD registers on every x86 level, a greedy pick
 * scans the logits instead of copying them into a candidate list, and one
 * thread runs every decode, so that OpenMP keeps one team of threads spinning
 * between tokens instead of a team per libuv thread that sleeps. `REPRISE_LLAMA_PATCHES` is
 * the digest of those files, so that a build made with another patch set is
 * never taken for this one.
 */
const exactOptions = { GGML_CPU_REPACK: "OFF", REPRISE_LLAMA_PATCHES: llamaPatchSet } as const;

/**
 * `native` (`npm run llama:build`) compiles ggml's CPU backend for the CPU of
 * the machine that builds it, as fast as that machine allows; it may not run
 * on another CPU. `portable` (`npm run dist`) compiles it once per x86 or Arm
 * feature level, as libraries that ggml loads at start-up, picking the best
 * one the CPU supports: what an installer must ship.
 */
export const cpuBuilds = {
  native: { ...exactOptions, GGML_NATIVE: "ON", ...noAmxOptions },
  portable: { ...exactOptions, GGML_NATIVE: "OFF", GGML_BACKEND_DL: "ON", GGML_CPU_ALL_VARIANTS: "ON" },
} as const;

export type CpuBuild = keyof typeof cpuBuilds;

/**
 * The build to look for when this module is `moduleFile`: the packaged app
 * runs it from its asar archive, which holds the portable build only; a
 * checkout has the native one.
 */
export function cpuBuildFor(moduleFile: string, electron: string | undefined): CpuBuild {
  return electron !== undefined && moduleFile.includes(`.asar${path.sep}`) ? "portable" : "native";
}

let instance: Promise<Llama> | undefined;

/**
 * The process-wide llama.cpp binding. "auto" picks a GPU backend when the
 * machine has one; on the CPU the local build above is used when it was made
 * (the portable one in the packaged app, the native one in a checkout), else
 * the prebuilt binary. `build: "never"` keeps start-up from ever trying to
 * compile llama.cpp on a user's machine.
 */
export function llama(): Promise<Llama> {
  instance ??= getLlama({
    gpu: "auto",
    build: "never",
    cmakeOptions: cpuBuilds[cpuBuildFor(import.meta.filename, process.versions.electron)],
    logLevel: LlamaLogLevel.error,
    progressLogs: false,
  });
  return instance;
}
