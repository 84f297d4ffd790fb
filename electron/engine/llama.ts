import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { llamaPatchSet } from "./llamaPatchSet";

/**
 * The CMake options of Reprise's own CPU build of llama.cpp (`npm run
 * llama:build`), made so that drafts verified in one batch come out exactly
 * as plain decoding. The prebuilt CPU binaries repack quantized weights at
 * load time for blocked matrix kernels that round a batch of 4 or more tokens
 * differently from one token; repacking is off here. The source is patched too, by the files of
 * `build/llama-patches/`: flash attention's split of a single token's
 * attention across threads is off and each of its rows is summed in F32 in
 * three passes (the scores stay llama.cpp's to the bit), the quantized matrix
 * kernel reads its weights once per batch, unpacks them once per batch and
 * takes one VNNI instruction per block, and a greedy pick scans the logits
 * instead of copying them into a candidate list. `REPRISE_LLAMA_PATCHES` is
 * the digest of those files, so that a build made with another patch set is
 * never taken for this one.
 */
export const cpuBuildOptions = { GGML_CPU_REPACK: "OFF", REPRISE_LLAMA_PATCHES: llamaPatchSet } as const;

let instance: Promise<Llama> | undefined;

/**
 * The process-wide llama.cpp binding. "auto" picks a GPU backend when the
 * machine has one; on the CPU the local build above is used when it was made,
 * else the prebuilt binary. `build: "never"` keeps start-up from ever trying
 * to compile llama.cpp on a user's machine.
 */
export function llama(): Promise<Llama> {
  instance ??= getLlama({
    gpu: "auto",
    build: "never",
    cmakeOptions: cpuBuildOptions,
    logLevel: LlamaLogLevel.error,
    progressLogs: false,
  });
  return instance;
}
