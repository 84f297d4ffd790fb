import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";

let instance: Promise<Llama> | undefined;

/**
 * The process-wide llama.cpp binding. "auto" picks a GPU backend when the
 * machine has one and falls back to the CPU; `build: "never"` keeps start-up
 * from ever trying to compile llama.cpp on a user's machine.
 */
export function llama(): Promise<Llama> {
  instance ??= getLlama({ gpu: "auto", build: "never", logLevel: LlamaLogLevel.error, progressLogs: false });
  return instance;
}
