import { randomUUID } from "node:crypto";
import type { Store } from "../../db/index";
import type { ConversationSummary, DocumentInfo, Message, MessageSource, MessageStats } from "../../db/types";
import type {
  AttachDocumentRequest,
  DocumentRequest,
  DocumentText,
  DocumentTextRequest,
  BusyState,
  ConversationDetail,
  ConversationRequest,
  CheckModelFitRequest,
  CreateConversationRequest,
  DownloadRequest,
  DownloadStatus,
  EditMessageRequest,
  EmptyRequest,
  ExportRequest,
  ExportResult,
  Health,
  ImportRequest,
  ImportSummary,
  ListConversationsRequest,
  MessageRequest,
  ModelCatalogView,
  ModelFitCheck,
  ModelStatus,
  Page,
  PinConversationRequest,
  RegenerateRequest,
  RenameConversationRequest,
  RepriseApi,
  SearchRequest,
  SelectModelRequest,
  SendMessageRequest,
  SetConversationSamplingRequest,
  Settings,
  StartDownloadRequest,
  StreamEnd,
  StreamEvent,
  SwitchBranchRequest,
  UpdateSettingsRequest,
} from "../api/contract";
import type { Token } from "node-llama-cpp";
import { MAX_DOCUMENT_TEXT_CHARS, MAX_JSON_DEPTH, operationNames } from "../api/contract";
import { ApiError } from "../api/errors";
import { JsonTooDeepError, parseJson } from "../api/json";
import { attachDocument } from "../documents/attach";
import type { ChatTurn, Drafting, Reply } from "../engine/engine";
import { ModelFileError } from "../engine/modelFile";
import { ModelLibrary } from "../models/modelLibrary";
import { modelCacheDir } from "../paths";
import { toApiError } from "./apiError";
import { ChatCache } from "./chatCache";
import type { ModelHost } from "./modelHost";
import { GenerationQueue } from "./queue";
import { StateFiles } from "./stateFiles";
import { ReplyRunner, type BenchRun } from "./replyRunner";
import type { SettingsStore } from "./settings";
import { titleFrom, untitled } from "./title";

export interface ChatServiceOptions {
  store: Store;
  models: ModelHost;
  settings: SettingsStore;
  /**
   * How many conversations keep their evaluated state, each in its own llama context (tens of MB
   * for the default model): switching among that many conversations never re-reads a history.
   */
  cachedChats?: number;
  /**
   * Where conversations' evaluated states are kept on disk once they leave memory (see StateFiles);
   * null keeps them in memory only.
   */
  stateDir?: string | null;
  /** Milliseconds between writes of a streaming reply's partial text. */
  persistIntervalMs?: number;
  version?: string;
  /** The model catalog and downloads; by default over the user's model cache. */
  library?: ModelLibrary;
}

/** A reply that is generating or waiting for the model. */
interface ActiveReply {
  conversationId: string;
  controller: AbortController;
  finished: Promise<void>;
}

/** The state key of the OpenAI-compatible endpoint's requests: one evaluated state shared by its clients. */
const openAiStateKey = "openai";

/**
 * Everything the app does, as `RepriseApi`: the HTTP server and the Electron preload bridge are
 * transports over this class. One generation at a time, in a queue; the state of the most recently
 * used conversations is kept, so continuing one only evaluates its new turn.
 */
export class ChatService implements RepriseApi {
  private readonly store: Store;
  private readonly models: ModelHost;
  private readonly settings: SettingsStore;
  private readonly queue = new GenerationQueue();
  private readonly chats: ChatCache;
  private readonly runner: ReplyRunner;
  private readonly active = new Map<string, ActiveReply>();
  private readonly version: string;
  private readonly library: ModelLibrary;

  constructor(options: ChatServiceOptions) {
    this.store = options.store;
    this.models = options.models;
    this.library = options.library ?? new ModelLibrary({ dir: modelCacheDir(), contextSize: options.models.contextSize });
    this.settings = options.settings;
    this.chats = new ChatCache(options.cachedChats ?? 3, options.stateDir ? new StateFiles(options.stateDir) : null);
    this.version = options.version ?? "0.0.0";
    this.runner = new ReplyRunner({
      store: this.store,
      models: this.models,
      settings: this.settings,
      chats: this.chats,
      persistIntervalMs: options.persistIntervalMs ?? 200,
    });
    // The first use of a model on a machine measures what verifying drafts costs (some 30 s on
    // two cores). Queued as soon as the model is ready, it runs while the user is still typing,
    // and never beside a reply.
    this.models.onReady((engine) => {
      this.queue.enqueue({ label: null, run: () => engine.costCurve() }).result.catch(() => {});
    });
    // Every transport (HTTP, IPC) must see the same errors: each operation fails only with an
    // ApiError, whose code says what the store's or the engine's own error meant.
    for (const name of operationNames) {
      const operation = this[name] as (...args: unknown[]) => Promise<unknown>;
      Object.defineProperty(this, name, {
        value: (...args: unknown[]) => operation.apply(this, args).catch((error: unknown) => Promise.reject(toApiError(error))),
      });
    }
  }

  // ---- conversations ----

  async listConversations(request: ListConversationsRequest): Promise<Page<ConversationSummary>> {
    const query = request.query?.trim();
    if (!query) return this.store.listConversations({ limit: request.limit, cursor: request.cursor });
    // Full-text matches name the conversations; they are listed in the usual order, in one page.
    const limit = request.limit ?? 50;
    const wanted = new Set([
      ...this.store.search(query, { limit: 1000 }).map((hit) => hit.conversationId),
      ...this.store.searchDocuments(query, { limit: 200 }).map((hit) => hit.conversationId),
    ]);
    const items: ConversationSummary[] = [];
    for (let cursor: string | null = null; wanted.size > 0 && items.length < limit; ) {
      const page = this.store.listConversations({ limit: 500, cursor });
      for (const summary of page.items) {
        if (wanted.delete(summary.id) && items.length < limit) items.push(summary);
      }
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    return { items, nextCursor: null };
  }

  async createConversation(request: CreateConversationRequest) {
    return this.store.createConversation({ title: request.title });
  }

  async getConversation({ conversationId }: ConversationRequest): Promise<ConversationDetail> {
    const conversation = this.store.getConversation(conversationId);
    return { conversation, messages: this.store.getActivePath(conversationId), generatingMessageId: this.generatingIn(conversationId) };
  }

  async renameConversation({ conversationId, title }: RenameConversationRequest) {
    this.store.renameConversation(conversationId, title);
    return this.store.getConversation(conversationId);
  }

  async pinConversation({ conversationId, pinned }: PinConversationRequest) {
    this.store.pinConversation(conversationId, pinned);
    return this.store.getConversation(conversationId);
  }

  async setConversationSampling({ conversationId, samplingPreset }: SetConversationSamplingRequest) {
    const { model, settings } = this.store.getConversation(conversationId);
    const { samplingPreset: _previous, ...rest } = settings;
    this.store.configureConversation(conversationId, {
      model,
      settings: samplingPreset === "app" ? rest : { ...rest, samplingPreset },
    });
    return this.store.getConversation(conversationId);
  }

  async deleteConversation({ conversationId }: ConversationRequest): Promise<{ deleted: true }> {
    this.store.getConversation(conversationId);
    await this.stop({ conversationId });
    this.store.deleteConversation(conversationId);
    this.runner.forget(conversationId);
    await this.chats.delete(conversationId);
    return { deleted: true };
  }

  // ---- replies ----

  sendMessage(request: SendMessageRequest, onEvent: (event: StreamEvent) => void, signal?: AbortSignal) {
    return this.send(request, onEvent, signal);
  }

  /**
   * `sendMessage` with a chosen drafting mode ("builtin" too, which the API does not offer): what the
   * benchmark runs through the whole chat path. The finished message carries the reply's stats;
   * `tokens` are the token ids the model produced, what exactness is judged on.
   */
  async benchReply(
    request: SendMessageRequest & { drafting: Drafting },
    onEvent: (event: StreamEvent) => void = () => {},
  ): Promise<{ end: StreamEnd; stats: MessageStats | null; tokens: readonly Token[] | null }> {
    let tokens: readonly Token[] | null = null;
    const end = await this.send(request, onEvent, undefined, {
      drafting: request.drafting,
      onReply: (reply) => (tokens = reply.tokens),
    });
    return { end, stats: end.type === "done" ? end.message.stats : null, tokens };
  }

  async regenerate({ messageId }: RegenerateRequest, onEvent: (event: StreamEvent) => void, signal?: AbortSignal) {
    const original = this.store.getMessage(messageId);
    this.refuseWhileGenerating(original.conversationId);
    const engine = this.models.engine();
    const answer = this.store.regenerate(messageId, { model: engine.modelName });
    return this.startReply(null, answer, onEvent, signal);
  }

  async editMessage({ messageId, text }: EditMessageRequest, onEvent: (event: StreamEvent) => void, signal?: AbortSignal) {
    const original = this.store.getMessage(messageId);
    this.refuseWhileGenerating(original.conversationId);
    const engine = this.models.engine();
    const question = this.store.editUserMessage(messageId, text);
    const answer = this.store.appendMessage({
      conversationId: question.conversationId,
      parentId: question.id,
      role: "assistant",
      content: "",
      status: "streaming",
      model: engine.modelName,
    });
    return this.startReply(question, answer, onEvent, signal);
  }

  /** Stops every reply of the conversation (generating or queued) and resolves once they are stored. */
  async stop({ conversationId }: ConversationRequest): Promise<{ stopped: boolean }> {
    const replies = [...this.active.values()].filter((r) => r.conversationId === conversationId);
    for (const reply of replies) reply.controller.abort();
    await Promise.all(replies.map((r) => r.finished));
    return { stopped: replies.length > 0 };
  }

  async getMessage({ messageId }: MessageRequest): Promise<Message> {
    return this.store.getMessage(messageId);
  }

  async switchBranch({ messageId }: SwitchBranchRequest): Promise<ConversationDetail> {
    const message = this.store.getMessage(messageId);
    this.refuseWhileGenerating(message.conversationId);
    this.store.switchBranch(messageId);
    return this.getConversation({ conversationId: message.conversationId });
  }

  // ---- search, model, settings ----

  async search({ q, limit, offset }: SearchRequest) {
    if (q.trim() === "") return { hits: [], documentHits: [] };
    // Document hits come on the first page only: they are a short list of their own beside the messages.
    const documentHits = (offset ?? 0) === 0 ? this.store.searchDocuments(q, { limit }) : [];
    return { hits: this.store.search(q, { limit, offset }), documentHits };
  }

  async modelStatus(_request: EmptyRequest = {}): Promise<ModelStatus> {
    return this.models.status(this.busy());
  }

  /** Waits for the reply being generated (switching models mid-reply would lose it), then loads. */
  async selectModel({ path }: SelectModelRequest): Promise<ModelStatus> {
    try {
      await this.queue.enqueue({ label: null, run: () => this.models.load(path, () => this.chats.clear()) }).result;
    } catch (error) {
      // The file was refused before anything changed: the request was wrong, not the model in use.
      if (error instanceof ModelFileError) throw new ApiError("bad_request", error.message);
      throw error;
    }
    return this.modelStatus();
  }

  async modelCatalog(request: EmptyRequest = {}): Promise<ModelCatalogView> {
    return this.library.modelCatalog(request);
  }

  async checkModelFit(request: CheckModelFitRequest): Promise<ModelFitCheck> {
    return this.library.checkModelFit(request);
  }

  async startDownload(request: StartDownloadRequest): Promise<DownloadStatus> {
    return this.library.startDownload(request);
  }

  async listDownloads(request: EmptyRequest = {}): Promise<{ downloads: DownloadStatus[] }> {
    return this.library.listDownloads(request);
  }

  async cancelDownload(request: DownloadRequest): Promise<DownloadStatus> {
    return this.library.cancelDownload(request);
  }

  async getSettings(_request: EmptyRequest = {}): Promise<Settings> {
    return this.settings.get();
  }

  async updateSettings(request: UpdateSettingsRequest): Promise<Settings> {
    return this.settings.update(request);
  }

  async health(_request: EmptyRequest = {}): Promise<Health> {
    const model = await this.modelStatus();
    return {
      ok: model.state === "ready",
      version: this.version,
      model,
      database: { path: this.store.path, recoveredMessages: this.store.recoveredMessageIds.length },
    };
  }

  // ---- export / import ----

  async exportConversations({ conversationIds, format }: ExportRequest): Promise<ExportResult> {
    const date = new Date().toISOString().slice(0, 10);
    if (format === "markdown") {
      const [id, ...more] = conversationIds ?? [];
      if (!id || more.length > 0) throw new ApiError("bad_request", "A Markdown export takes exactly one conversation id.");
      const title = this.store.getConversation(id).title;
      const slug = title.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "-").replace(/^-|-$/g, "") || "conversation";
      return { fileName: `${slug}.md`, mimeType: "text/markdown", content: this.store.exportMarkdown(id) };
    }
    return {
      fileName: `reprise-${date}.json`,
      mimeType: "application/json",
      content: JSON.stringify(this.store.exportJson(conversationIds)),
    };
  }

  async importConversations({ content, onExisting }: ImportRequest): Promise<ImportSummary> {
    let data: unknown;
    try {
      data = parseJson(content, MAX_JSON_DEPTH);
    } catch (error) {
      if (error instanceof JsonTooDeepError) throw new ApiError("bad_request", `The file cannot be imported: ${error.message}.`);
      throw new ApiError("bad_request", `The file is not a Reprise export: it is not JSON (${(error as Error).message}).`);
    }
    const result = this.store.importJson(data, { onExisting });
    return { conversationIds: result.imported.map((i) => i.id), skipped: result.skipped.length };
  }

  // ---- documents ----

  async attachDocument(request: AttachDocumentRequest): Promise<DocumentInfo> {
    return attachDocument(this.store, request);
  }

  async listDocuments({ conversationId }: ConversationRequest): Promise<{ documents: DocumentInfo[] }> {
    return { documents: this.store.listDocuments(conversationId) };
  }

  /**
   * Refused while the conversation has a reply on its way: that reply reads the document. The
   * conversation's evaluated state, which holds the document's passages, goes too (from memory and
   * from its state file); the next reply reads the conversation again.
   */
  async deleteDocument({ documentId }: DocumentRequest): Promise<{ deleted: true }> {
    const { conversationId } = this.store.getDocument(documentId);
    this.refuseWhileGenerating(conversationId);
    this.store.deleteDocument(documentId);
    await this.chats.delete(conversationId);
    return { deleted: true };
  }

  async documentText({ documentId, startChar = 0, endChar }: DocumentTextRequest): Promise<DocumentText> {
    const document = this.store.getDocument(documentId);
    const start = Math.min(startChar, document.chars);
    const end = Math.min(endChar ?? document.chars, start + MAX_DOCUMENT_TEXT_CHARS, document.chars);
    if (end < start) throw new ApiError("bad_request", "endChar comes before startChar.");
    return { document, startChar: start, endChar: end, text: this.store.documentText(documentId, start, end) };
  }

  /** For an answer, the sources of the question it answers. */
  async messageSources({ messageId }: MessageRequest): Promise<{ sources: MessageSource[] }> {
    const message = this.store.getMessage(messageId);
    const questionId = message.role === "assistant" ? message.parentId : message.id;
    return { sources: questionId ? this.store.messageSources(questionId) : [] };
  }

  // ---- the OpenAI-compatible endpoint ----

  /**
   * A completion for messages that are not stored, through the same queue, references and kept
   * state as the app's conversations. It gives way to the app: when a reply of the app is waiting,
   * it ends at its next token (`cutShort`, with the text so far). Throws an ApiError when no model
   * is ready.
   */
  async complete(request: {
    messages: ChatTurn[];
    maxTokens?: number;
    temperature?: number;
    signal?: AbortSignal;
    onText?: (piece: string) => void;
  }): Promise<{ reply: Reply; stats: MessageStats; model: string; cutShort: boolean }> {
    const engine = this.models.engine();
    const id = `chatcmpl-${randomUUID()}`;
    const controller = new AbortController();
    const abort = () => controller.abort();
    request.signal?.addEventListener("abort", abort, { once: true });
    let cutShort = false;
    try {
      const result = await this.queue.enqueue({
        label: { conversationId: openAiStateKey, messageId: id },
        givesWay: true,
        signal: controller.signal,
        run: ({ preempted }) => {
          // At least one token, so that even a request cut short at once answers something.
          let started = false;
          const giveWay = () => {
            cutShort = true;
            if (started) controller.abort();
          };
          preempted.addEventListener("abort", giveWay, { once: true });
          return this.runner.complete({
            stateKey: openAiStateKey,
            history: request.messages.map((m, i) => ({ id: `${id}-${i}`, role: m.role, content: m.text })),
            conversationId: null,
            signal: controller.signal,
            replyId: id,
            onText: (piece) => {
              started = true;
              request.onText?.(piece);
              if (cutShort) controller.abort();
            },
            maxTokens: request.maxTokens,
            temperature: request.temperature,
          });
        },
        whenDropped: () => {
          throw new ApiError("bad_request", "The request was cancelled before it started.");
        },
      }).result;
      return { reply: result.reply, stats: result.stats, model: engine.modelName, cutShort: cutShort && result.reply.stopReason === "abort" };
    } finally {
      request.signal?.removeEventListener("abort", abort);
    }
  }

  /**
   * Stops every reply, saves the kept states and releases the model; the store stays open (its owner
   * closes it).
   */
  async close(): Promise<void> {
    for (const reply of this.active.values()) reply.controller.abort();
    await Promise.all([...this.active.values()].map((r) => r.finished));
    await this.library.close();
    await this.chats.clear();
    await this.models.dispose();
  }

  // ---- internals ----

  private async send(
    { conversationId, text }: SendMessageRequest,
    onEvent: (event: StreamEvent) => void,
    signal?: AbortSignal,
    bench?: BenchRun,
  ): Promise<StreamEnd> {
    const conversation = this.store.getConversation(conversationId);
    const engine = this.models.engine();
    const question = this.store.appendMessage({ conversationId, role: "user", content: text });
    // Set at once from the question, so the list shows it while the answer is still being written.
    if (conversation.activeRootId === null && conversation.title === untitled) {
      this.store.renameConversation(conversationId, titleFrom(text));
    }
    const answer = this.store.appendMessage({
      conversationId,
      role: "assistant",
      content: "",
      status: "streaming",
      model: engine.modelName,
    });
    return this.startReply(question, answer, onEvent, signal, bench);
  }

  /** Announces the reply, queues it, and resolves with its last event once it is stored. */
  private async startReply(
    question: Message | null,
    answer: Message,
    onEvent: (event: StreamEvent) => void,
    signal?: AbortSignal,
    bench?: BenchRun,
  ): Promise<StreamEnd> {
    // A transport that fails to deliver an event (a closed connection) must not break the reply.
    const emit = (event: StreamEvent) => {
      try {
        onEvent(event);
      } catch (error) {
        console.error("Could not deliver a reply event:", error);
      }
    };
    const controller = new AbortController();
    const abort = () => controller.abort();
    if (signal?.aborted) abort();
    signal?.addEventListener("abort", abort, { once: true });
    let finish = () => {};
    const finished = new Promise<void>((resolve) => (finish = resolve));
    this.active.set(answer.id, { conversationId: answer.conversationId, controller, finished });
    try {
      emit({ type: "start", userMessage: question, message: answer, queuePosition: this.queue.ahead() });
      return await this.queue.enqueue({
        label: { conversationId: answer.conversationId, messageId: answer.id },
        signal: controller.signal,
        run: () => this.runner.answer(answer, emit, controller.signal, bench),
        whenDropped: () => this.runner.interrupted(answer, emit),
      }).result;
    } finally {
      signal?.removeEventListener("abort", abort);
      this.active.delete(answer.id);
      finish();
    }
  }

  private busy(): BusyState {
    return this.queue.state();
  }

  private generatingIn(conversationId: string): string | null {
    for (const [messageId, reply] of this.active) if (reply.conversationId === conversationId) return messageId;
    return null;
  }

  /** Branch changes under a reply being written would leave it answering a path no longer shown. */
  private refuseWhileGenerating(conversationId: string): void {
    if (this.generatingIn(conversationId)) {
      throw new ApiError("conflict", "A reply is being written in this conversation; stop it or wait for it first.");
    }
  }
}
