import path from "node:path";
import type { DraftingStatus, ModelState, ModelStatus } from "../api/contract";
import { ApiError } from "../api/errors";
import { maxDraftLength } from "../engine/draftPolicy";
import { Engine, type DraftingCapability, type EngineOptions } from "../engine/engine";
import { ModelFileError, validateModelFile } from "../engine/modelFile";
import { modelKind } from "../models/catalogFit";

export type ModelLoadOptions = Omit<EngineOptions, "modelPath"> & { contextSize: number };

/**
 * The one loaded model and what the user should know about it: missing (none configured), loading,
 * ready, or an error that names the file and says what went wrong.
 */
export class ModelHost {
  private state: ModelState = "missing";
  private current: Engine | null = null;
  private modelPath: string | null = null;
  private message: string | null;
  private loading: Promise<void> | null = null;
  /** The context size the current model was loaded with. */
  private loadedContextSize: number | null = null;
  private readonly readyListeners: Array<(engine: Engine) => void> = [];

  /**
   * `loadOptions` is asked at every load, so that changed settings (context size, threads) apply to
   * the next model loaded.
   */
  constructor(
    private readonly loadOptions: () => ModelLoadOptions,
    missingMessage: string,
  ) {
    this.message = missingMessage;
  }

  /** The engine, or a `model_unavailable` ApiError that tells the user why there is none. */
  engine(): Engine {
    if (this.current && this.state === "ready") return this.current;
    throw new ApiError(
      "model_unavailable",
      this.state === "loading" ? `The model ${this.name} is still loading; try again in a moment.` : (this.message ?? "No model is loaded."),
    );
  }

  /** Calls `listener` with the engine now ready, if any, and with each one that finishes loading. */
  onReady(listener: (engine: Engine) => void): void {
    this.readyListeners.push(listener);
    if (this.current && this.state === "ready") listener(this.current);
  }

  /** Tokens one conversation can hold in the loaded model. */
  get contextSize(): number {
    return this.loadedContextSize ?? this.loadOptions().contextSize;
  }

  /**
   * Loads `modelPath` in place of the current model; resolves when done. The file is checked first,
   * while the current model still works: one that is no usable GGUF file changes nothing and rejects
   * with its ModelFileError (state "error" only when there was no model to keep). A file that passes
   * the check but fails in llama.cpp leaves no model (state "error"), since the previous one was
   * released to make room.
   */
  load(modelPath: string, beforeSwitch: () => Promise<void> = async () => {}): Promise<void> {
    const run = async () => {
      await this.loading?.catch(() => {});
      const resolved = path.resolve(modelPath);
      try {
        await validateModelFile(resolved);
      } catch (error) {
        if (!this.current && error instanceof ModelFileError) {
          this.state = "error";
          this.modelPath = resolved;
          this.message = error.message;
        }
        throw error;
      }
      this.state = "loading";
      this.modelPath = resolved;
      this.message = null;
      await beforeSwitch();
      const previous = this.current;
      this.current = null;
      this.loadedContextSize = null;
      await previous?.dispose();
      const options = this.loadOptions();
      try {
        this.current = await Engine.load({ ...options, modelPath: resolved });
        this.loadedContextSize = options.contextSize;
        this.state = "ready";
        for (const listener of this.readyListeners) listener(this.current);
      } catch (error) {
        this.state = "error";
        this.message = (error as Error).message;
      }
    };
    const loading = run();
    this.loading = loading;
    return loading;
  }

  status(busy: ModelStatus["busy"]): ModelStatus {
    return {
      state: this.state,
      path: this.modelPath,
      name: this.name,
      message: this.message,
      contextSize: this.state === "ready" ? this.loadedContextSize : null,
      threads: this.current?.threads ?? null,
      kind: this.current ? modelKind(this.current.model.fileInfo) : null,
      drafting: this.current ? draftingStatus(this.current.draftingCapability) : null,
      busy,
    };
  }

  async dispose(): Promise<void> {
    await this.loading?.catch(() => {});
    await this.current?.dispose();
    this.current = null;
  }

  private get name(): string | null {
    return this.modelPath ? path.basename(this.modelPath) : null;
  }
}

/** The capability in the user's terms: where drafting is limited, by how much, why, and what lifts it. */
export function draftingStatus(capability: DraftingCapability | null): DraftingStatus | null {
  if (!capability) return null;
  const { maxDraftTokens, selfCheck } = capability;
  const limited = maxDraftTokens < maxDraftLength;
  const reach = maxDraftTokens === 0 ? "Replies are not drafted" : `Drafts are cut to ${maxDraftTokens} tokens per pass`;
  const limitation = !selfCheck.passed
    ? `Replies are not drafted: the drafting self-check found that drafts change this model's replies on this llama.cpp binary (${selfCheck.failure}). Replies are written by plain decoding, as fast as without Reprise.`
    : !limited
      ? null
      : capability.binary === "prebuilt"
        ? `${reach} on node-llama-cpp's prebuilt llama.cpp, which evaluates a batch of tokens with other roundings than one token: longer drafts could change the reply. Reprise's own build drafts up to ${maxDraftLength} tokens exactly: "npm install" builds it where git, CMake and a C++ compiler are installed; once they are, run "npm run llama:build", then restart.`
        : `${reach}: on this ${capability.backend === "cpu" ? "CPU" : capability.backend.toUpperCase()} backend, longer batches are evaluated with other roundings than one token and could change the reply.`;
  return { ...capability, limitation };
}
