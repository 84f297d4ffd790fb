import os from "node:os";
import path from "node:path";
import {
  LlamaChat,
  type ChatHistoryItem,
  type LlamaContext,
  type LlamaModel,
  type Token,
  type TokenPredictor,
} from "node-llama-cpp";
import { llama } from "./llama";
import { ModelFileError, validateModelFile } from "./modelFile";

export interface EngineOptions {
  modelPath: string;
  /** Tokens each chat can hold (prompt and reply). */
  contextSize?: number;
  /**
   * CPU threads for evaluation. The default leaves one core free: llama.cpp's
   * threads wait for each other at every layer, and when another program takes
   * one of them off a core, a two-thread evaluation becomes hundreds of times
   * slower (measured on a 2-core machine with one busy process: 19 ms a token
   * on one thread, over 2 s on two).
   */
  threads?: number;
}

/** One turn of a conversation as the engine sees it. */
export interface ChatTurn {
  role: "system" | "user" | "assistant";
  text: string;
}

export interface ReplyOptions {
  maxTokens?: number;
  /** 0 (the default) decodes greedily. */
  temperature?: number;
  signal?: AbortSignal;
  onText?: (text: string) => void;
}

export interface Reply {
  text: string;
  /** The tokens the model produced, in order: what lossless decoding is judged on. */
  tokens: Token[];
  stopReason: "eogToken" | "maxTokens" | "abort" | "other";
  ms: number;
}

const defaultContextSize = 4096;

/** A loaded GGUF model; chats are opened on it. */
export class Engine {
  private constructor(
    readonly model: LlamaModel,
    readonly modelPath: string,
    private readonly contextSize: number,
    readonly threads: number,
  ) {}

  /** Validates the file first so a bad one fails with a `ModelFileError` that names it. */
  static async load({
    modelPath,
    contextSize = defaultContextSize,
    threads = Math.max(1, os.availableParallelism() - 1),
  }: EngineOptions): Promise<Engine> {
    const resolved = path.resolve(modelPath);
    await validateModelFile(resolved);
    const binding = await llama();
    try {
      const model = await binding.loadModel({ modelPath: resolved });
      return new Engine(model, resolved, contextSize, threads);
    } catch (error) {
      throw new ModelFileError("damaged", resolved, `Could not load model ${resolved}: ${(error as Error).message}`);
    }
  }

  get modelName(): string {
    return path.basename(this.modelPath);
  }

  tokenize(text: string): Token[] {
    return this.model.tokenize(text);
  }

  detokenize(tokens: readonly Token[]): string {
    return this.model.detokenize(tokens);
  }

  /**
   * Opens a chat with its own context. `tokenPredictor` drafts tokens for every
   * evaluation on the chat's sequence.
   *
   * `swaFullCache` keeps Gemma 3's sliding-window layers in a full-size cache:
   * rejected drafts are then removed by position and the state is exactly what
   * it was, with no checkpoint to save before every draft.
   */
  async openChat({ tokenPredictor }: { tokenPredictor?: TokenPredictor } = {}): Promise<EngineChat> {
    const context = await this.model.createContext({
      contextSize: this.contextSize,
      threads: this.threads,
      swaFullCache: true,
    });
    return new EngineChat(this, context, tokenPredictor);
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}

/** A conversation's evaluation state: turns that were evaluated before are not evaluated again. */
export class EngineChat {
  private readonly chat: LlamaChat;

  constructor(
    readonly engine: Engine,
    private readonly context: LlamaContext,
    tokenPredictor: TokenPredictor | undefined,
  ) {
    this.chat = new LlamaChat({ contextSequence: context.getSequence({ tokenPredictor }) });
  }

  get sequence() {
    return this.chat.sequence;
  }

  /** Generates the assistant's reply to the conversation `turns` (the last one is the user's). */
  async reply(turns: readonly ChatTurn[], options: ReplyOptions = {}): Promise<Reply> {
    const history: ChatHistoryItem[] = turns.map((turn) =>
      turn.role === "assistant" ? { type: "model", response: [turn.text] } : { type: turn.role, text: turn.text },
    );
    history.push({ type: "model", response: [] });
    const tokens: Token[] = [];
    const started = performance.now();
    const result = await this.chat.generateResponse(history, {
      maxTokens: options.maxTokens,
      temperature: options.temperature ?? 0,
      // A repeat penalty makes drafted positions sample differently than plain
      // decoding would, so it stays off unless the caller turns drafting off.
      repeatPenalty: false,
      signal: options.signal,
      stopOnAbortSignal: true,
      onToken: (chunk) => tokens.push(...chunk),
      onTextChunk: options.onText,
    });
    return {
      text: result.response,
      tokens,
      stopReason: result.metadata.stopReason === "eogToken" ||
        result.metadata.stopReason === "maxTokens" ||
        result.metadata.stopReason === "abort"
        ? result.metadata.stopReason
        : "other",
      ms: performance.now() - started,
    };
  }

  async dispose(): Promise<void> {
    this.chat.dispose();
    await this.context.dispose();
  }
}
