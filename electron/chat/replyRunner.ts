import { NotFoundError, type Store } from "../../db/index";
import type { Message, MessageSource, MessageStats } from "../../db/types";
import { MAX_REPLY_TOKENS, type StreamEnd, type StreamEvent } from "../api/contract";
import type { ChatTurn, Drafting, Engine, Reply } from "../engine/engine";
import type { Reference } from "../engine/referencePredictor";
import { presetOf, resolveSampling, type SamplingPreset } from "../engine/sampling";
import { toApiError } from "./apiError";
import type { ChatCache } from "./chatCache";
import { fitToContext, systemTurns, toTurns, type HistoryMessage } from "./history";
import type { ModelHost } from "./modelHost";
import { PASSAGE_SHARE, creditDocuments, documentReferences, fitPassages, promptWithSources } from "./passages";
import { answerReference, pastAnswerReferences } from "./references";
import type { SettingsStore } from "./settings";
import { storedSpans } from "./spans";
import { StreamingWriter } from "./streamingWriter";

export interface RunnerDeps {
  store: Store;
  models: ModelHost;
  settings: SettingsStore;
  chats: ChatCache;
  persistIntervalMs: number;
}

/** What a generation needs beyond the conversation: the text so far is reported through `onText`. */
interface Generation<M extends HistoryMessage> {
  /** The key of the evaluated state to continue (a conversation id). */
  stateKey: string;
  /** The conversation up to the question, oldest first. */
  history: readonly M[];
  /** Excluded from past-answer references (its turns are in the live context already). */
  conversationId: string | null;
  drafting?: Drafting;
  signal: AbortSignal;
  onText: (piece: string, text: string) => void;
  /** A thinking model's thought so far, reported like the text. */
  onThought?: (piece: string, thought: string) => void;
  /** Id the reply's own text goes by in copied spans. */
  replyId: string;
  /** The conversation's own sampling preset, over the app's. */
  samplingPreset?: SamplingPreset;
  /** The request's own reply length and temperature (OpenAI requests may bring them); absent: the settings'. */
  maxTokens?: number;
  temperature?: number;
}

/** How the benchmark runs a reply: a drafting mode the API does not offer, and the reply's tokens. */
export interface BenchRun {
  drafting: Drafting;
  onReply: (reply: Reply) => void;
}

interface Generated<M> {
  reply: Reply;
  stats: MessageStats;
  dropped: M[];
  /** Evaluates the opening of the conversation's next turn (see `EngineChat.openNextTurn`). */
  openNextTurn: () => Promise<void>;
}

/**
 * The most tokens a reply may have: what its request asks, else the app's setting, and never more
 * than the one hard cap.
 */
export function replyTokenLimit(requested: number | undefined, setting: number): number {
  return Math.min(requested ?? setting, MAX_REPLY_TOKENS);
}

function memoize<T>(f: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    if (!cache.has(key)) cache.set(key, f(key));
    return cache.get(key) as T;
  };
}

/** One reply's whole path, from the conversation in the store to the finished message. */
export class ReplyRunner {
  /** Per conversation, the first message still shown to the model once older ones were dropped. */
  private readonly keepFrom = new Map<string, string>();

  constructor(private readonly deps: RunnerDeps) {}

  /**
   * Generates the answer `answer` (a streaming assistant message) to the conversation above it,
   * streaming tokens through `onEvent`, writing the partial text as it grows, and finishing the
   * message: complete, interrupted (signal aborted) or error. Never throws: failures end as an
   * `error` event and an error message in the store.
   */
  async answer(
    answer: Message,
    onEvent: (event: StreamEvent) => void,
    signal: AbortSignal,
    bench?: BenchRun,
  ): Promise<StreamEnd> {
    const { store } = this.deps;
    if (signal.aborted) return this.interrupted(answer, onEvent);
    const writer = new StreamingWriter(store, answer.id, this.deps.persistIntervalMs);
    let text = "";
    let thought = "";
    try {
      const { reply, stats, dropped, openNextTurn } = await this.generate({
        stateKey: answer.conversationId,
        history: this.ancestors(answer),
        conversationId: answer.conversationId,
        samplingPreset: presetOf(store.getConversation(answer.conversationId).settings),
        drafting: bench?.drafting,
        signal,
        replyId: answer.id,
        onText: (piece, soFar) => {
          text = soFar;
          writer.update(soFar);
          onEvent({ type: "token", text: piece });
        },
        onThought: (piece, soFar) => {
          thought = soFar;
          writer.updateThought(soFar);
          onEvent({ type: "thought", text: piece });
        },
      });
      writer.close();
      bench?.onReply(reply);
      const message = store.finishMessage(answer.id, {
        status: reply.stopReason === "abort" ? "interrupted" : "complete",
        content: reply.text,
        thought: reply.thought,
        stats,
      });
      const done: StreamEnd = { type: "done", message, truncatedTurns: dropped.length };
      onEvent(done);
      // After the reply is done, while its reader reads; an interrupted reply may be continued or
      // redone instead of answered.
      if (message.status === "complete") await openNextTurn();
      return done;
    } catch (error) {
      writer.close();
      // Stopped before the first token (node-llama-cpp throws an AbortError then, where a reply under
      // way returns what it has): that is an interrupted reply, as at any other moment.
      if (signal.aborted) return this.interrupted(answer, onEvent, text, thought);
      const apiError = toApiError(error);
      try {
        store.finishMessage(answer.id, { status: "error", error: apiError.message, content: text, thought });
      } catch {
        // The conversation was deleted meanwhile: there is nothing left to mark.
      }
      const failed: StreamEnd = { type: "error", message: apiError.message, messageId: answer.id };
      onEvent(failed);
      return failed;
    }
  }

  /**
   * Ends a reply stopped before it had a token (while it waited for the model, or while the model
   * read the prompt) as interrupted, with `content` if some text came.
   */
  interrupted(answer: Message, onEvent: (event: StreamEvent) => void, content?: string, thought?: string): StreamEnd {
    let end: StreamEnd;
    try {
      end = {
        type: "done",
        message: this.deps.store.finishMessage(answer.id, { status: "interrupted", content, thought }),
        truncatedTurns: 0,
      };
    } catch (error) {
      end = { type: "error", message: toApiError(error).message, messageId: answer.id };
    }
    onEvent(end);
    return end;
  }

  /**
   * A reply to messages that are not stored (the OpenAI-compatible endpoint): same references, same
   * context handling, evaluated state kept under `stateKey`.
   */
  complete(generation: Generation<HistoryMessage>): Promise<Generated<HistoryMessage>> {
    return this.generate(generation);
  }

  forget(conversationId: string): void {
    this.keepFrom.delete(conversationId);
  }

  private async generate<M extends HistoryMessage>(g: Generation<M>): Promise<Generated<M>> {
    const { store, models, chats } = this.deps;
    const started = performance.now();
    const engine = models.engine();
    const settings = this.deps.settings.get();
    const maxTokens = replyTokenLimit(g.maxTokens, settings.maxTokens);
    const question = g.history.at(-1);
    if (!question || question.role !== "user") throw new Error("A reply needs a question: the last message must be the user's");

    const system = systemTurns(settings.systemPrompt);
    // Room for the reply; a longer reply still fits, node-llama-cpp shifts the context then.
    const headroom = Math.min(maxTokens, Math.floor(models.contextSize / 4));
    const retrieval = g.conversationId
      ? this.sourcesFor(engine, g.conversationId, question, system, models.contextSize - headroom)
      : { sources: question.sources ?? [], cut: undefined };
    const history = retrieval.sources === question.sources ? g.history : [...g.history.slice(0, -1), { ...question, sources: retrieval.sources }];
    const { kept, dropped, promptTokens } = fitToContext(
      engine,
      system,
      history,
      models.contextSize - headroom,
      this.keepFrom.get(g.stateKey),
    );
    if (dropped.length > 0 && kept[0]) this.keepFrom.set(g.stateKey, kept[0].id);
    else this.keepFrom.delete(g.stateKey);

    const documents = documentReferences(store, engine, retrieval.sources);
    const references = [
      ...pastAnswerReferences(store, engine, question.content, g.conversationId, settings.similarAnswers),
      ...this.droppedReferences(engine, dropped, g.conversationId ? store : null),
      ...documents,
    ];
    const drafting = g.drafting ?? settings.drafting;
    const sampling = resolveSampling(g.samplingPreset ?? settings.samplingPreset, settings, engine.recommendedSampling);
    // An OpenAI request's temperature applies to the app's sampling.
    if (g.temperature !== undefined) sampling.temperature = g.temperature;
    const turns = [...system, ...toTurns(kept)];
    const chat = await chats.acquire(engine, g.stateKey, drafting, g.conversationId !== null, turns);
    let firstTokenMs: number | undefined;
    let text = "";
    let thought = "";
    let reply: Reply;
    try {
      reply = await chat.reply(turns, {
        maxTokens,
        sampling,
        repeatPenalty: settings.repeatPenalty,
        signal: g.signal,
        references,
        onText: (piece) => {
          firstTokenMs ??= performance.now() - started;
          text += piece;
          g.onText(piece, text);
        },
        onThought: (piece) => {
          firstTokenMs ??= performance.now() - started;
          thought += piece;
          g.onThought?.(piece, thought);
        },
      });
    } catch (error) {
      // After a failure inside the engine its context may not hold what the chat believes it does.
      await chats.forget(g.stateKey);
      throw error;
    }
    const s = reply.stats;
    const stats: MessageStats = {
      tokens: s.tokens,
      forwardPasses: s.forwardPasses,
      drafted: s.drafted,
      accepted: s.accepted,
      ms: s.ms,
      tokensPerSecond: s.tokensPerSecond,
      copiedSpans: creditDocuments(
        storedSpans(s.copiedSpans, engine, system, kept, g.replyId),
        reply.text,
        new Map(kept.flatMap((m) => (m.sources && m.sources.length > 0 ? [[m.id, m.sources] as const] : []))),
        memoize((id) => {
          const reference = documents.find((d) => d.id === id);
          if (!reference) return undefined;
          try {
            return { text: store.documentText(id), tokens: reference.tokens.length };
          } catch (error) {
            // Removed while the reply was written: its spans keep the token range they have.
            if (error instanceof NotFoundError) return undefined;
            throw error;
          }
        }),
      ),
      drafting: s.drafting,
      predictorMs: s.predictorMs,
      firstTokenMs: firstTokenMs ?? performance.now() - started,
      promptTokens,
      truncatedTurns: dropped.length,
      speedup: s.speedup,
      sampling,
      ...(retrieval.sources.length > 0 ? { passages: retrieval.sources.length } : {}),
      ...(retrieval.cut ? { passagesCut: retrieval.cut } : {}),
    };
    const openNextTurn = async () => {
      try {
        await chat.openNextTurn([...turns, { role: "assistant", text: reply.text }]);
      } catch (error) {
        // Only the evaluated state is at stake: the next reply reads the conversation again. The
        // reply is done already, so nothing here may fail it.
        console.warn(`Could not open the next turn of ${g.stateKey}: ${(error as Error).message}`);
        await chats.forget(g.stateKey).catch(() => undefined);
      }
    };
    return { reply, stats, dropped, openNextTurn };
  }

  /**
   * The passages of the conversation's documents for the question: those chosen when it was first
   * answered (so its prompt reads the same at every later reply), or else the best matches now,
   * as many as fit PASSAGE_SHARE of the context window beside the question, recorded as its sources.
   */
  private sourcesFor(
    engine: Engine,
    conversationId: string,
    question: HistoryMessage,
    system: ChatTurn[],
    budget: number,
  ): { sources: readonly MessageSource[]; cut: number | undefined } {
    const { store, models } = this.deps;
    if (question.sources && question.sources.length > 0) return { sources: question.sources, cut: undefined };
    const passages = store.retrievePassages(conversationId, question.content);
    if (passages.length === 0) return { sources: [], cut: undefined };
    const questionTokens = engine.renderTurns([...system, { role: "user", text: promptWithSources(question.content, []) }]).length;
    // The wrapper around the sources (heading, instruction) is counted with the question.
    const wrapperTokens = engine.tokenize(promptWithSources("", [{ ...passages[0]!, n: 1, text: "" }])).length;
    const room = Math.min(Math.floor(models.contextSize * PASSAGE_SHARE), budget - questionTokens - wrapperTokens);
    const { chosen, cut } = fitPassages(engine, passages, Math.max(0, room));
    if (chosen.length > 0) store.setMessageSources(question.id, chosen);
    return { sources: store.messageSources(question.id), cut };
  }

  /**
   * Turns that no longer fit the context are still good references: their answers become documents
   * the reply may copy from, like past answers from other conversations.
   */
  private droppedReferences(engine: Engine, dropped: readonly HistoryMessage[], cache: Store | null): Reference[] {
    return dropped.flatMap((m, i) => {
      const question = dropped[i - 1];
      return m.role === "assistant" && question?.role === "user"
        ? [answerReference(cache, engine, question.content, m)]
        : [];
    });
  }

  /** The messages above `message`, root first, questions with their sources. */
  private ancestors(message: Message): (Message & HistoryMessage)[] {
    const { store } = this.deps;
    const sourced = store.messagesWithSources(message.conversationId);
    const chain: (Message & HistoryMessage)[] = [];
    for (let id = message.parentId; id !== null; ) {
      const m = store.getMessage(id);
      chain.push(sourced.has(m.id) ? { ...m, sources: store.messageSources(m.id) } : m);
      id = m.parentId;
    }
    return chain.reverse();
  }
}
