import path from "node:path";
import type { ModelState, ModelStatus } from "../api/contract";
import { ApiError } from "../api/errors";
import { Engine, type EngineOptions } from "../engine/engine";
import { modelKind } from "../models/catalogFit";

export type ModelLoadOptions = Omit<EngineOptions, "modelPath">;

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
  private readonly readyListeners: Array<(engine: Engine) => void> = [];

  constructor(
    private readonly options: ModelLoadOptions & { contextSize: number },
    missingMessage = "No model is configured. Run `npm run model:fetch`, then start again, or choose a GGUF file.",
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

  get contextSize(): number {
    return this.options.contextSize;
  }

  /**
   * Loads `modelPath` in place of the current model; resolves when done. A failed load leaves no
   * model (state "error"), since the previous one was already released.
   */
  load(modelPath: string, beforeSwitch: () => Promise<void> = async () => {}): Promise<void> {
    const run = async () => {
      await this.loading?.catch(() => {});
      this.state = "loading";
      this.modelPath = path.resolve(modelPath);
      this.message = null;
      await beforeSwitch();
      const previous = this.current;
      this.current = null;
      await previous?.dispose();
      try {
        this.current = await Engine.load({ ...this.options, modelPath: this.modelPath });
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
      contextSize: this.state === "ready" ? this.options.contextSize : null,
      threads: this.current?.threads ?? null,
      kind: this.current ? modelKind(this.current.model.fileInfo) : null,
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
