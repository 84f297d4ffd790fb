import { randomInt } from "node:crypto";
import os from "node:os";
import path from "node:path";
import {
  InputLookupTokenPredictor,
  LlamaChat,
  LlamaText,
  type ChatHistoryItem,
  type ChatWrapper,
  type ContextTokensDeleteRange,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
  type LlamaTextValue,
  type Token,
  type TokenPredictor,
  type Tokenizer,
} from "node-llama-cpp";
import type { CopiedSpan as StoredSpan } from "../../db/types";
import type { DraftingStatus } from "../api/contract";
import { modelCacheDir } from "../paths";
import { chatWrapperFor } from "./chatTemplate";
import { costCurvePath, loadCostCurve } from "./costCurve";
import { draftingCheckFile, loadDraftingCheck, type DraftingCheckResult } from "./draftingCheck";
import { DraftPolicy, maxDraftLength, type CostCurve } from "./draftPolicy";
import { llama } from "./llama";
import { ModelFileError, validateModelFile } from "./modelFile";
import { ReferencePredictor, type Reference } from "./referencePredictor";
import { greedySampling, recommendedSampling, type Sampling } from "./sampling";
import { memoizeTokenizer } from "./tokenMemo";

export interface EngineOptions {
  modelPath: string;
  /** Tokens each chat can hold (prompt and reply). */
  contextSize?: number;
  /**
   * CPU threads for evaluation; all cores by default. Fewer threads make
   * verification batches relatively dearer (measured on 2 cores: 17 tokens cost
   * 7.9 single-token evaluations on one thread, 3.1 on two), but llama.cpp's
   * threads wait for each other at every layer, so when another busy program
   * takes a core away, evaluation on all cores slows down by orders of
   * magnitude. The threads setting is the way out on a loaded machine.
   */
  threads?: number;
  /** Where the measured cost curve is kept; defaults to the model cache. */
  cacheDir?: string;
  /**
   * Timings to use instead of measuring and observing them (the exactness
   * limit is always measured). For tests that must draft however loaded the
   * machine is.
   */
  assumedCost?: Omit<CostCurve, "exactBatch">;
  /**
   * The chat template to render conversations with; by default the model file's (see
   * `chatWrapperFor`). The template also says where a thinking model's thought begins and ends.
   */
  chatWrapper?: ChatWrapper;
}

/** What drafting can do with a model on the llama.cpp binary it runs on: the contract's status, less its words for the user. */
export type DraftingCapability = Omit<DraftingStatus, "limitation">;

/** One turn of a conversation as the engine sees it. */
export interface ChatTurn {
  role: "system" | "user" | "assistant";
  text: string;
}

/**
 * How a chat drafts tokens: `reference` is Reprise's predictor, `builtin` is
 * node-llama-cpp's InputLookupTokenPredictor (for comparison in the benchmark),
 * `off` is plain decoding.
 */
export type Drafting = "reference" | "builtin" | "off";

export interface ReplyOptions {
  maxTokens?: number;
  /** Greedy by default. */
  sampling?: Sampling;
  /** The random seed of a sampled reply; a new one for every reply by default. */
  seed?: number;
  /**
   * Penalty for repeating recent tokens (1 = none). node-llama-cpp builds the
   * penalty list from committed tokens only, so drafted positions would be
   * penalized differently than in plain decoding: drafting is off while it is set.
   */
  repeatPenalty?: number;
  signal?: AbortSignal;
  /** The answer's text as it streams, without the thought. */
  onText?: (text: string) => void;
  /** A thinking model's thought as it streams, apart from the answer. */
  onThought?: (text: string) => void;
  /** Documents beyond the conversation itself that the reply may copy from. */
  references?: readonly Reference[];
}

/**
 * A run of the reply copied from a source document: tokens in the source (a reference, or the live
 * context with id `contextId`), characters in the reply. The stored span has the same fields, with
 * the live context's positions credited to its messages (electron/chat/spans.ts), and a document's
 * character range added where a document is the source (electron/chat/passages.ts).
 */
export type CopiedSpan = Required<Omit<StoredSpan, "sourceStartChar" | "sourceEndChar">>;

/** What the engine measured of one generation; the chat path stores it as `MessageStats`. */
export interface ReplyStats {
  tokens: number;
  forwardPasses: number;
  drafted: number;
  accepted: number;
  ms: number;
  tokensPerSecond: number;
  copiedSpans: CopiedSpan[];
  /** Time the reference predictor spent on its index and lookups. */
  predictorMs: number;
  /** Whether drafting ran for this reply, and if not, why. */
  drafting: { on: true } | { on: false; reason: string };
  /**
   * How many times faster than plain decoding of this model on this machine the reply came: the
   * time plain decoding would have taken (this reply's time to its first token, then one measured
   * single-token step per further token, at that token's depth in the cache) over the time it
   * took. Null when the reply was not drafted by Reprise's predictor, or has no tokens.
   */
  speedup: number | null;
}

export interface Reply {
  /** The answer, without the thought. */
  text: string;
  /** What a thinking model wrote before its answer (its template's thought segment); "" for others. */
  thought: string;
  /** The tokens the model produced, in order: what lossless decoding is judged on. */
  tokens: Token[];
  stopReason: "eogToken" | "maxTokens" | "abort" | "other";
  stats: ReplyStats;
}

const defaultContextSize = 4096;

/** At most this many tokens are evaluated to open a conversation's next turn (see `openNextTurn`). */
const maxOpeningTokens = 32;

/**
 * How many released chats an engine keeps for the next conversations. A chat
 * is released when its conversation leaves memory, right before another one
 * is opened: handing its context over saves allocating and clearing a new
 * KV cache, and the first touch of every page of fresh output buffers, from
 * the new conversation's first reply: 7-9% of a short reply that copies a
 * past answer, measured side by side.
 */
const idleChats = 1;

/** A loaded GGUF model; chats are opened on it. */
export class Engine {
  private policy: Promise<DraftPolicy> | undefined;
  private calibration: { curve: CostCurve; check: DraftingCheckResult } | undefined;
  private readonly calibrated: Promise<DraftingCapability>;
  private settleCalibrated!: { resolve(capability: DraftingCapability): void; reject(error: unknown): void };
  /** Released chats, cleared, oldest first. */
  private readonly idle: EngineChat[] = [];
  private disposed = false;
  /** The model's chat template, shared by every chat and by `renderTurns`. */
  readonly chatWrapper: ChatWrapper;
  /** The sampling the model file recommends, if it does (`general.sampling` metadata). */
  readonly recommendedSampling: Sampling | null;

  private constructor(
    readonly model: LlamaModel,
    readonly modelPath: string,
    private readonly contextSize: number,
    readonly threads: number,
    private readonly cacheDir: string,
    private readonly assumedCost: EngineOptions["assumedCost"],
    chatWrapper: ChatWrapper | undefined,
  ) {
    this.chatWrapper = chatWrapper ?? chatWrapperFor(model);
    this.recommendedSampling = recommendedSampling(model.fileInfo.metadata.general);
    this.calibrated = new Promise((resolve, reject) => (this.settleCalibrated = { resolve, reject }));
    // Waited on only by those who ask (`whenCalibrated`); a failed calibration is reported where it ran.
    this.calibrated.catch(() => {});
  }

  /** Validates the file first so a bad one fails with a `ModelFileError` that names it. */
  static async load({
    modelPath,
    contextSize = defaultContextSize,
    threads = os.availableParallelism(),
    cacheDir = modelCacheDir(),
    assumedCost,
    chatWrapper,
  }: EngineOptions): Promise<Engine> {
    const resolved = path.resolve(modelPath);
    await validateModelFile(resolved);
    const binding = await llama();
    try {
      const model = await binding.loadModel({ modelPath: resolved });
      // LlamaChat renders every reply's whole conversation through `model.tokenizer`.
      (model as { tokenizer: Tokenizer }).tokenizer = memoizeTokenizer(model.tokenizer);
      return new Engine(model, resolved, contextSize, threads, cacheDir, assumedCost, chatWrapper);
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
   * The llama.cpp binary and backend this model runs on, how many drafted tokens one pass may verify
   * exactly on them and what that allows; null until the model is calibrated and self-checked (queued
   * at load).
   */
  get draftingCapability(): DraftingCapability | null {
    if (!this.calibration) return null;
    const { curve, check } = this.calibration;
    const binding = this.model.llama;
    const exactBatch = usableBatch(check);
    const batches = Array.from({ length: exactBatch }, (_, i) => ({ tokens: i + 1, cost: curve.relative[i]! }));
    const best = batches.reduce((a, b) => (b.tokens / b.cost > a.tokens / a.cost ? b : a));
    const plainTokensPerSecond = 1000 / curve.singleTokenMs;
    return {
      binary: binding.buildType === "localBuild" ? "reprise" : "prebuilt",
      backend: binding.gpu || "cpu",
      maxDraftTokens: exactBatch - 1,
      selfCheck: { passed: check.failure === null, checkedDraftTokens: check.checkedDraftTokens, failure: check.failure },
      plainTokensPerSecond,
      bestTokensPerSecond: (plainTokensPerSecond * best.tokens) / best.cost,
      bestBatchTokens: best.tokens,
    };
  }

  /**
   * The capability once the calibration and the self-check have run; never starts them (the
   * calibration queued at load does, or the first chat).
   */
  whenCalibrated(): Promise<DraftingCapability> {
    return this.calibrated;
  }

  /** Why drafting is off for this model whatever the reply, or null when it is not (or not yet known). */
  get draftingFailure(): string | null {
    const failure = this.calibration?.check.failure;
    return failure ? `the drafting self-check failed for this model on this llama.cpp binary: ${failure}` : null;
  }

  /** The measured cost of verifying drafts on this machine (measured on first use, then cached). */
  async costCurve(): Promise<CostCurve> {
    return (await this.draftPolicy()).cost;
  }

  /**
   * One policy for every chat of the engine, so what drafts taught in one conversation serves the
   * next. Its drafts are cut to the exact batch the calibration found, and off altogether when the
   * self-check then finds that drafting changes the output anyway.
   */
  private draftPolicy(): Promise<DraftPolicy> {
    this.policy ??= (async () => {
      const file = await costCurvePath(this.model, this.modelPath, this.threads, this.cacheDir);
      const curve = await loadCostCurve(this.model, this.threads, file);
      const maxDraftTokens = Math.min(maxDraftLength, curve.exactBatch - 1);
      const check = await loadDraftingCheck(this.model, this.threads, maxDraftTokens, draftingCheckFile(file));
      this.calibration = { curve, check };
      this.settleCalibrated.resolve(this.draftingCapability!);
      const exactBatch = usableBatch(check);
      return new DraftPolicy({ ...curve, ...this.assumedCost, exactBatch }, this.assumedCost === undefined, curve.singleTokenMs);
    })();
    this.policy.catch((error: unknown) => this.settleCalibrated.reject(error));
    return this.policy;
  }

  /**
   * Turns as the model reads them, through its chat template: the form a past
   * answer must have to be matched against a conversation's live context.
   */
  renderTurns(turns: readonly ChatTurn[]): Token[] {
    const { contextText } = this.chatWrapper.generateContextState({ chatHistory: toHistory(turns) });
    return contextText.tokenize(this.model.tokenizer);
  }

  /**
   * `turns` as the model reads them, followed by the opening of the user's next turn: what the
   * prompt of the conversation's next reply starts with, whatever the user writes then.
   */
  renderNextTurnOpening(turns: readonly ChatTurn[]): Token[] {
    // The template renders a message it is given whole; the opening is what comes before it.
    const marker = "\u0001";
    const { contextText } = this.chatWrapper.generateContextState({
      chatHistory: toHistory([...turns, { role: "user", text: marker }]),
    });
    const opening: LlamaTextValue[] = [];
    for (const value of contextText.values) {
      const at = typeof value === "string" ? value.indexOf(marker) : -1;
      if (at >= 0) return LlamaText([...opening, (value as string).slice(0, at)]).tokenize(this.model.tokenizer);
      opening.push(value);
    }
    return this.renderTurns(turns);
  }

  /**
   * Opens a chat with its own context.
   *
   * `swaFullCache` keeps Gemma 3's sliding-window layers in a full-size cache:
   * rejected drafts are then removed by position and the state is exactly what
   * it was, with no checkpoint to save before every draft.
   */
  async openChat({ drafting = "reference" }: { drafting?: Drafting } = {}): Promise<EngineChat> {
    const released = this.idle.findIndex((chat) => chat.drafting === drafting);
    if (released >= 0) return this.idle.splice(released, 1)[0]!;
    const predictor =
      drafting === "reference"
        ? new ReferencePredictor(await this.draftPolicy(), (token) => this.model.isEogToken(token as Token))
        : drafting === "builtin"
          ? new InputLookupTokenPredictor()
          : undefined;
    const context = await this.model.createContext({
      contextSize: this.contextSize,
      threads: this.threads,
      swaFullCache: true,
    });
    return new EngineChat(this, context, drafting, predictor);
  }

  /** Takes back a chat whose conversation is done with it, for `openChat` to hand out again. */
  async release(chat: EngineChat): Promise<void> {
    // After the model is gone, its chats' contexts went with it.
    if (this.disposed) return chat.dispose();
    await chat.clear();
    this.idle.push(chat);
    while (this.idle.length > idleChats) await this.idle.shift()!.dispose();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const chat of this.idle.splice(0)) await chat.dispose();
    await this.model.dispose();
  }
}

/**
 * The largest batch drafts may fill: the draft the self-check checked (the calibration's exact batch,
 * up to the longest draft) and the token its pass adds, or 1 (no drafts) when the check failed.
 */
function usableBatch(check: DraftingCheckResult): number {
  return check.failure === null ? check.checkedDraftTokens + 1 : 1;
}

function toHistory(turns: readonly ChatTurn[]): ChatHistoryItem[] {
  return turns.map((turn) =>
    turn.role === "assistant" ? { type: "model", response: [turn.text] } : { type: turn.role, text: turn.text },
  );
}

/** A conversation's evaluation state: turns that were evaluated before are not evaluated again. */
export class EngineChat {
  private readonly chat: LlamaChat;
  /**
   * How many held tokens, from the first, hold what reading them from scratch would: what another
   * chat may start from and still reply bit for bit as if it had read its prompt itself (see
   * `sharedPrefix`). On Reprise's CPU build a prompt cut into batches anywhere evaluates as one
   * batch does (llama.cpp patches 0001 and 0013), so every token a chat evaluates is exact, until
   * a context shift moves held tokens to other positions, or a state is loaded from a file, whose
   * past this chat does not know; then only the tokens before those are, until the chat is cleared.
   */
  private exactTokens = Infinity;

  constructor(
    readonly engine: Engine,
    private readonly context: LlamaContext,
    readonly drafting: Drafting,
    private readonly predictor: TokenPredictor | undefined,
  ) {
    this.chat = new LlamaChat({
      contextSequence: context.getSequence({
        tokenPredictor: predictor,
        contextShift: { strategy: (shift) => this.shiftContext(shift) },
      }),
      chatWrapper: engine.chatWrapper,
    });
  }

  /**
   * node-llama-cpp's own shift of a full context (erase the oldest tokens after the BOS token, move
   * the rest down), noted: the tokens it moves no longer hold what a fresh read would.
   */
  private shiftContext({ sequence, size }: { sequence: LlamaContextSequence; size: number }): ContextTokensDeleteRange[] {
    const start = sequence.contextTokens[0] === this.engine.model.tokens.bos ? 1 : 0;
    this.exactTokens = Math.min(this.exactTokens, start);
    return [{ start, end: start + size }];
  }

  get sequence() {
    return this.chat.sequence;
  }

  /** Whether the chat's context is gone: disposed, or with its model. */
  get disposed(): boolean {
    return this.chat.disposed;
  }

  /** Generates the assistant's reply to the conversation `turns` (the last one is the user's). */
  async reply(turns: readonly ChatTurn[], options: ReplyOptions = {}): Promise<Reply> {
    const history = toHistory(turns);
    history.push({ type: "model", response: [] });
    const reference = this.predictor instanceof ReferencePredictor ? this.predictor : undefined;
    const penalized = options.repeatPenalty !== undefined && options.repeatPenalty !== 1;
    if (reference) {
      reference.setReferences(options.references ?? []);
      reference.enabled = !penalized;
      reference.replyLimit = options.maxTokens;
      reference.takeStats();
    }
    const before = this.sequence.tokenPredictions;
    // node-llama-cpp hands the answer's tokens to onToken and a thought's only to onResponseChunk.
    const tokens: Token[] = [];
    const thoughtTokens: Token[] = [];
    const sampling = options.sampling ?? greedySampling;
    const started = performance.now();
    let firstTokenMs: number | undefined;
    const result = await this.chat.generateResponse(history, {
      maxTokens: options.maxTokens,
      temperature: sampling.temperature,
      topK: sampling.topK,
      topP: sampling.topP,
      minP: sampling.minP,
      // node-llama-cpp's default seed is the current second: two replies within one would be the same.
      seed: options.seed ?? randomInt(2 ** 31),
      repeatPenalty: penalized ? { penalty: options.repeatPenalty } : false,
      signal: options.signal,
      stopOnAbortSignal: true,
      onToken: (chunk) => {
        firstTokenMs ??= performance.now() - started;
        tokens.push(...chunk);
      },
      onTextChunk: options.onText,
      onResponseChunk: (chunk) => {
        if (chunk.type !== "segment" || chunk.segmentType !== "thought") return;
        firstTokenMs ??= performance.now() - started;
        thoughtTokens.push(...chunk.tokens);
        if (chunk.text) options.onThought?.(chunk.text);
      },
    });
    const thought = result.fullResponse
      .flatMap((part) => (typeof part !== "string" && part.segmentType === "thought" ? [part.text] : []))
      .join("");
    const ms = performance.now() - started;
    const failure = this.engine.draftingFailure;
    const drafted = reference !== undefined && !penalized && failure === null;
    const after = this.sequence.tokenPredictions;
    const drafts = reference?.takeStats();
    const accepted = after.used - before.used;
    const stopReason = result.metadata.stopReason;
    const generated = thoughtTokens.length + tokens.length;
    return {
      // After a thought, templates put blank lines before the answer.
      text: thought ? result.response.trimStart() : result.response,
      thought,
      tokens: [...thoughtTokens, ...tokens],
      stopReason:
        stopReason === "eogToken" || stopReason === "maxTokens" || stopReason === "abort" ? stopReason : "other",
      stats: {
        tokens: generated,
        forwardPasses: generated - accepted,
        drafted: after.validated + after.refuted - (before.validated + before.refuted),
        accepted,
        ms,
        tokensPerSecond: generated / (ms / 1000),
        // The predictor counts a thinking reply's positions with its template's thought markers, which
        // no chunk hands out: its spans could not be placed in the answer's text, so it shows none.
        copiedSpans: (thoughtTokens.length > 0 ? [] : (drafts?.acceptedRuns ?? [])).map((run) => ({
          sourceId: run.sourceId,
          sourceStartToken: run.sourceStartToken,
          sourceEndToken: run.sourceEndToken,
          replyStartChar: this.engine.detokenize(tokens.slice(0, run.replyStartToken)).length,
          replyEndChar: this.engine.detokenize(
            tokens.slice(0, run.replyStartToken + run.sourceEndToken - run.sourceStartToken),
          ).length,
        })),
        predictorMs: drafts?.predictorMs ?? 0,
        drafting: !this.predictor
          ? { on: false, reason: "drafting is off" }
          : penalized && reference
            ? { on: false, reason: "a repeat penalty is set: drafted tokens would be penalized differently" }
            : failure && reference
              ? { on: false, reason: failure }
              : { on: true },
        speedup:
          drafted && firstTokenMs !== undefined && ms > 0
            ? (firstTokenMs + reference.plainDecodingMs(this.sequence.nextTokenIndex - generated, generated - 1)) / ms
            : null,
      },
    };
  }

  /**
   * Evaluates the end of the reply's turn and the opening of the user's next one (`turns` end with
   * the reply): the next reply's prompt starts with them whatever the user writes, so evaluating
   * them while the user reads takes them off that reply's time to first token.
   */
  async openNextTurn(turns: readonly ChatTurn[]): Promise<void> {
    const tokens = this.engine.renderNextTurnOpening(turns);
    if (tokens.length >= this.context.contextSize) return;
    const held = this.sequence.contextTokens;
    let same = 0;
    while (same < held.length && same < tokens.length && held[same] === tokens[same]) same++;
    // Only the reply's last tokens (retokenized from its text) and the opening are new; a state that
    // differs earlier (a context shifted during the reply) is left for the next reply to rebuild.
    if (tokens.length - same > maxOpeningTokens) return;
    if (same < held.length) await this.sequence.eraseContextTokenRanges([{ start: same, end: held.length }]);
    if (same < tokens.length) await this.sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(same));
  }

  /**
   * How many of this chat's held tokens another chat, whose prompt renders as `prompt`, may start
   * from and still evaluate bit for bit what reading the prompt from scratch would: the exact tokens
   * the two share, short of the prompt's last, which the other reads for its first token's logits.
   * On Reprise's CPU build only, whose attention evaluates a batch of any size as its rows one by
   * one; 0 elsewhere, where a prompt read in parts may round otherwise.
   */
  sharedPrefix(prompt: readonly Token[]): number {
    const binding = this.engine.model.llama;
    if (binding.gpu !== false || binding.buildType !== "localBuild") return 0;
    const held = this.sequence.contextTokens;
    const most = Math.min(this.exactTokens, held.length, prompt.length - 1);
    let shared = 0;
    while (shared < most && held[shared] === prompt[shared]) shared++;
    return shared;
  }

  /** Loads a state saved from a chat of this engine: its tokens are held, but not known exact. */
  async loadState(file: string): Promise<void> {
    await this.sequence.loadStateFromFile(file, { acceptRisk: true });
    this.exactTokens = 0;
  }

  /**
   * Starts from another chat's state (`loadState`), keeping its first `tokens` (its `sharedPrefix`,
   * so exact) and dropping the rest.
   */
  async startFromCopy(file: string, tokens: number): Promise<void> {
    await this.loadState(file);
    const held = this.sequence.nextTokenIndex;
    if (tokens < held) await this.sequence.eraseContextTokenRanges([{ start: tokens, end: held }]);
    this.exactTokens = Infinity;
  }

  /**
   * Empties the context for another conversation. The KV cache then fills
   * from its first cell again, as in a new context, so the numbers come out
   * the same; the predictor forgets how this conversation's sources fared.
   */
  async clear(): Promise<void> {
    await this.sequence.eraseContextTokenRanges([{ start: 0, end: this.sequence.nextTokenIndex }]);
    this.exactTokens = Infinity;
    if (this.predictor instanceof ReferencePredictor) this.predictor.forgetSources();
  }

  /** Hands the chat back to its engine for another conversation (see `Engine.release`). */
  release(): Promise<void> {
    return this.engine.release(this);
  }

  async dispose(): Promise<void> {
    this.chat.dispose();
    await this.context.dispose();
  }
}
