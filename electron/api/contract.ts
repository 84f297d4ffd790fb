/**
 * The one API of Reprise. The chat service implements `RepriseApi`; the HTTP server and the Electron
 * preload bridge are thin transports over it, and the renderer talks to `RepriseApi` whichever
 * transport it has. `operations` is the route table: each operation's name (= method name), HTTP
 * method and path, request validator, and whether it streams.
 *
 * Browser-safe: no Node imports (the renderer imports this file). Changes are additive only.
 */
import type {
  Conversation,
  ConversationSummary,
  DocumentInfo,
  DocumentSearchHit,
  Message,
  MessageSource,
  Page,
  PathMessage,
  SearchHit,
} from "../../db/types";
import { samplingLimits, samplingPresets, type SamplingPreset } from "../engine/sampling";
import { array, boolean, number, object, oneOf, optional, string, type Schema } from "./schema";

export type {
  Conversation,
  ConversationSummary,
  CopiedSpan,
  DocumentInfo,
  DocumentSearchHit,
  DraftingInfo,
  MessageSource,
  Message,
  MessageStats,
  MessageStatus,
  Page,
  PathMessage,
  Role,
  SearchHit,
  SnippetSegment,
} from "../../db/types";
export { ApiError, errorStatus, type ErrorBody, type ErrorCode } from "./errors";
export type { Sampling, SamplingPreset } from "../engine/sampling";
export { ValidationError } from "./schema";

// ---------------------------------------------------------------------------------------------
// Shared limits

/** Longest message text accepted (characters); the HTTP body cap (2 MB) is the outer bound. */
export const MAX_MESSAGE_CHARS = 200_000;
export const MAX_TITLE_CHARS = 200;
/** Largest HTTP request body in bytes; bigger bodies get 413. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** Most levels of nesting accepted in JSON from a client (a request body, an imported file). */
export const MAX_JSON_DEPTH = 64;
/** Most tokens any one reply may have, whatever a request or the settings ask. */
export const MAX_REPLY_TOKENS = 32_768;

/**
 * What an id may be: the store makes UUIDs, and an import brings ids from a file. Letters, digits, -
 * and _ only, so an id is never more than a name (no path, no separator, nothing to escape).
 */
export const idSchema = string({ min: 1, max: 100, pattern: { regex: /^[A-Za-z0-9_-]+$/, description: "of letters, digits, - and _" } });
const id = idSchema;
const text = string({ min: 1, max: MAX_MESSAGE_CHARS });

// Documents ---------------------------------------------------------------------------------

/** Largest file that can be attached. */
export const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;
/** Most documents one conversation may have, and the most bytes of files in all. */
export const MAX_CONVERSATION_DOCUMENTS = 1000;
export const MAX_CONVERSATION_DOCUMENT_BYTES = 200 * 1024 * 1024;
export const MAX_DOCUMENT_NAME_CHARS = 255;
/** The request body of an attachment: the largest file in base64 and room for the other fields. */
export const MAX_DOCUMENT_BODY_BYTES = Math.ceil(MAX_DOCUMENT_BYTES / 3) * 4 + 64 * 1024;
/** Most characters of a document's text one `documentText` call returns. */
export const MAX_DOCUMENT_TEXT_CHARS = 100_000;

// ---------------------------------------------------------------------------------------------
// Data types that are not store types

/**
 * What the model is doing: one generation at a time, the rest wait in a queue. A request of the
 * OpenAI-compatible endpoint (/v1) shows as conversation id "openai".
 */
export interface BusyState {
  /** The reply being generated now, if any. */
  generating: { conversationId: string; messageId: string } | null;
  /** Replies waiting for the model, in order. */
  queued: { conversationId: string; messageId: string }[];
}

export type ModelState = "missing" | "loading" | "ready" | "error";

export interface ModelStatus {
  state: ModelState;
  /** The model file in use or being loaded; null when none is configured. */
  path: string | null;
  /** File name of the model, for display. */
  name: string | null;
  /** For "missing" and "error": what is wrong and what to do, for the user. */
  message: string | null;
  /** Tokens one conversation can hold (prompt and reply), as loaded. */
  contextSize: number | null;
  threads: number | null;
  /**
   * From the GGUF's metadata once loaded: "chat" when it has a chat template, "base" when it has none
   * (it continues text rather than answers: tell the user and point to an instruct model); null before.
   */
  kind: ModelKind | null;
  /** What drafting can do with this model on this llama.cpp binary; null until the model's calibration ran. */
  drafting: DraftingStatus | null;
  busy: BusyState;
}

/** The llama.cpp binary and backend the model runs on, and what they allow drafting. */
export interface DraftingStatus {
  /** "reprise" for Reprise's own llama.cpp build (`npm run llama:build`), "prebuilt" for node-llama-cpp's. */
  binary: "reprise" | "prebuilt";
  /** "cpu", or the GPU backend llama.cpp evaluates on. */
  backend: "cpu" | "cuda" | "vulkan" | "metal";
  /** The most drafted tokens one forward pass verifies while the reply stays what plain decoding writes; 0: no drafting. */
  maxDraftTokens: number;
  /**
   * The drafting self-check run at load: greedy output with drafts of every length up to
   * `checkedDraftTokens` (0: there was nothing to check) cut short and rolled back, against plain
   * decoding. `failure` says how they differed; drafting is then off (`maxDraftTokens` 0).
   */
  selfCheck: { passed: boolean; checkedDraftTokens: number; failure: string | null };
  /** Plain decoding's speed after a short prompt, as the calibration timed it, in tokens per second. */
  plainTokensPerSecond: number;
  /**
   * The most the cost curve allows in tokens per second, with every drafted token accepted, and the
   * batch that gives it (drafted tokens and the one the pass adds), within the exact batch.
   */
  bestTokensPerSecond: number;
  bestBatchTokens: number;
  /** For the user when drafting is limited on this binary: how far, why, and how to get more; null when it is not. */
  limitation: string | null;
}

export type ModelKind = "chat" | "base";

/**
 * How well a model fits this machine, by node-llama-cpp's configuration scoring at the app's context
 * size: "good" runs well, "fair" runs but slowly or tight on memory, "poor" barely, "none" does not fit.
 */
export type FitLevel = "good" | "fair" | "poor" | "none";

export interface ModelFit {
  level: FitLevel;
  /** node-llama-cpp's compatibility score, 0 to 1. */
  score: number;
  /** Memory the model and its context need at `contextSize` tokens, in bytes. */
  ramBytes: number;
  /** Of that, what goes to the GPU's memory, in bytes (0 without a GPU). */
  vramBytes: number;
  /** Tokens of context the estimate is for (the app's context size). */
  contextSize: number;
}

export interface Machine {
  ramBytes: number;
  freeRamBytes: number;
  /** 0 without a GPU. */
  vramBytes: number;
  /** The GPU backend llama.cpp uses ("cuda", "vulkan", "metal"), or null for the CPU only. */
  gpu: string | null;
}

export interface CatalogModelView {
  id: string;
  name: string;
  description: string;
  kind: ModelKind;
  /** `hf:` URI of the file; pass it (or `id`) to startDownload. Null for a file that is only in the model cache. */
  source: string | null;
  fileName: string;
  /** Download size in bytes; `downloadBytesExact` false means as the repository lists it, rounded. */
  downloadBytes: number;
  downloadBytesExact: boolean;
  /** Where the file is in the model cache, when it is there (then selectModel can load it). */
  localPath: string | null;
  /** Computed from the GGUF's metadata; null until its header could be read (e.g. not downloaded, offline). */
  fit: ModelFit | null;
  /** Why `fit` is null, for the user. */
  fitUnknownReason: string | null;
  /** The best fit for this machine among the chat models whose fit is known. */
  recommended: boolean;
}

export interface ModelFitCheck {
  fileName: string;
  kind: ModelKind;
  fit: ModelFit;
}

export interface ModelCatalogView {
  machine: Machine;
  models: CatalogModelView[];
}

export type DownloadState = "downloading" | "verifying" | "done" | "failed" | "cancelled";

export interface DownloadStatus {
  id: string;
  /** The file's name in the model cache. */
  fileName: string;
  /** The address it comes from. */
  url: string;
  state: DownloadState;
  receivedBytes: number;
  /** Null until the server said how big the file is. */
  totalBytes: number | null;
  /** For "done": the verified model file, ready for selectModel. */
  path: string | null;
  /** For "failed": what went wrong and what to do, for the user. */
  error: string | null;
}

export type DraftingMode = "reference" | "off";

/** App-wide generation settings. */
export interface Settings {
  /** Most tokens one reply may have. */
  maxTokens: number;
  /**
   * Which sampling replies use unless their conversation picks another: "model" is the model file's
   * recommendation (else llama.cpp's defaults), "precise" decodes greedily (drafted text is then
   * token for token the plain decoding), "custom" takes the four values below.
   */
  samplingPreset: SamplingPreset;
  /** The custom sampling's temperature: 0 decodes greedily. */
  temperature: number;
  /** The custom sampling's top-k (0 = all tokens). */
  topK: number;
  /** The custom sampling's top-p (1 = all tokens). */
  topP: number;
  /** The custom sampling's min-p (0 = none left out). */
  minP: number;
  /** 1 = none. Any other value turns drafting off (drafted tokens would be penalized differently). */
  repeatPenalty: number;
  /** "reference" drafts from earlier turns and past answers; "off" is plain decoding. */
  drafting: DraftingMode;
  /** Put before every conversation; empty for none. */
  systemPrompt: string;
  /** How many past answers to similar questions are offered as references. */
  similarAnswers: number;
  /** Tokens one conversation can hold (prompt and reply). Takes effect when a model is next loaded. */
  contextSize: number;
  /** CPU threads the model runs on; 0 = all cores. Takes effect when a model is next loaded. */
  threads: number;
}

export interface ConversationDetail {
  conversation: Conversation;
  /** The active path, root to leaf, each message with its siblings (for a branch switcher). */
  messages: PathMessage[];
  /** The assistant message being generated or waiting for the model in this conversation, if any. */
  generatingMessageId: string | null;
}

export interface Health {
  /** True when replies can be generated (the model is ready). */
  ok: boolean;
  version: string;
  model: ModelStatus;
  database: {
    path: string;
    /** Answers found still streaming at start (the previous run died): they are marked interrupted. */
    recoveredMessages: number;
  };
}

export interface ExportResult {
  /** A suggested file name ("reprise-2026-11-03.json"). */
  fileName: string;
  mimeType: "application/json" | "text/markdown";
  content: string;
}

export interface ImportSummary {
  /** Ids of the conversations created by the import. */
  conversationIds: string[];
  /** Conversations left out because they exist already (with onExisting "skip"). */
  skipped: number;
}

// ---------------------------------------------------------------------------------------------
// Streaming replies

/**
 * Events of one reply, in order: `start` once, `thought` and `token` any number of times (a thinking
 * model's thought comes first), then exactly one of `done` or `error`. Over HTTP each is one server-sent event whose `event:` is the type and whose
 * `data:` is the JSON of the rest.
 */
export type StreamEvent = StartEvent | TokenEvent | ThoughtEvent | DoneEvent | ErrorEvent;

export interface StartEvent {
  type: "start";
  /** The user message just stored; null for a regeneration (the question is an existing message). */
  userMessage: Message | null;
  /** The assistant message that will receive the reply (status "streaming"). */
  message: Message;
  /** Replies ahead of this one in the model's queue; 0 when generation starts at once. */
  queuePosition: number;
}

export interface TokenEvent {
  type: "token";
  /** The next piece of the reply's text: append it. */
  text: string;
}

export interface ThoughtEvent {
  type: "thought";
  /** The next piece of a thinking model's thought, which comes before its answer: show it apart. */
  text: string;
}

export interface DoneEvent {
  type: "done";
  /** The finished assistant message: status "complete", or "interrupted" when stopped. */
  message: Message;
  /**
   * Oldest turns the model did not see because the conversation outgrew its context window; tell the
   * user when this is not 0.
   */
  truncatedTurns: number;
}

export interface ErrorEvent {
  type: "error";
  /** What went wrong, for the user. */
  message: string;
  /** The assistant message, now status "error" with its partial text; null if none was created. */
  messageId: string | null;
}

export type StreamEnd = DoneEvent | ErrorEvent;

/**
 * A streaming operation: `onEvent` sees every event; the promise resolves with the last one (`done`
 * or `error`). It rejects with an ApiError only when the request itself is refused (unknown
 * conversation, invalid payload, no model), before any event. Aborting `signal` stops the reply,
 * which is kept as "interrupted"; over HTTP that cuts the connection, so the promise then rejects
 * with an AbortError instead of resolving. `stop` stops a reply and still delivers its `done`.
 */
export type StreamCall<Req> = (
  request: Req,
  onEvent: (event: StreamEvent) => void,
  signal?: AbortSignal,
) => Promise<StreamEnd>;

// ---------------------------------------------------------------------------------------------
// Requests

export interface ListConversationsRequest {
  /**
   * Only conversations with a message matching these words (full-text, among the 1,000 best matching
   * messages); empty or absent for all. A filtered list comes in one page (`nextCursor` null).
   */
  query?: string;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  limit?: number;
}
export interface CreateConversationRequest {
  title?: string;
}
export interface ConversationRequest {
  conversationId: string;
}
export interface RenameConversationRequest {
  conversationId: string;
  title: string;
}
export interface PinConversationRequest {
  conversationId: string;
  pinned: boolean;
}
export interface SetConversationSamplingRequest {
  conversationId: string;
  /** The conversation's own preset, or "app" to follow the app's settings. */
  samplingPreset: SamplingPreset | "app";
}
export interface SendMessageRequest {
  conversationId: string;
  text: string;
}
export interface RegenerateRequest {
  /** The assistant message to answer again; the new answer becomes its active sibling. */
  messageId: string;
}
export interface EditMessageRequest {
  /** The user message to edit; the edit becomes a new branch beside it and is answered. */
  messageId: string;
  text: string;
}
export interface MessageRequest {
  messageId: string;
}
export interface SwitchBranchRequest {
  /** The sibling to make active. */
  messageId: string;
}
export interface SearchRequest {
  q: string;
  limit?: number;
  offset?: number;
}
export interface SelectModelRequest {
  /** Path of a GGUF file on this machine. */
  path: string;
}
export type UpdateSettingsRequest = Partial<Settings>;
export interface StartDownloadRequest {
  /** A catalog model's id, its `hf:` URI, or a pasted Hugging Face file URL. */
  source: string;
}
export interface CheckModelFitRequest {
  /** A catalog model's id, its `hf:` URI, or a pasted Hugging Face file URL. */
  source: string;
}
export interface DownloadRequest {
  downloadId: string;
}
export interface ExportRequest {
  /** The conversations to export; absent for all (JSON only). */
  conversationIds?: string[];
  /** Markdown exports one conversation's active path, for reading; JSON keeps everything, for import. */
  format: "json" | "markdown";
}
export interface ImportRequest {
  /** The text of a JSON export file. */
  content: string;
  /** When a conversation exists already: import it again under new ids ("copy", default) or leave it out. */
  onExisting?: "copy" | "skip";
}
export interface AttachDocumentRequest {
  conversationId: string;
  /** The file's name only (no folders), as the user sees it. */
  name: string;
  /** The type the browser or the shell gave the file; may be empty. */
  mediaType: string;
  /** The file's bytes, base64 (at most MAX_DOCUMENT_BYTES once decoded). */
  contentBase64: string;
}
export interface DocumentRequest {
  documentId: string;
}
export interface DocumentTextRequest {
  documentId: string;
  /** [startChar, endChar) of the document's text, clamped; at most MAX_DOCUMENT_TEXT_CHARS. */
  startChar?: number;
  endChar?: number;
}
export interface DocumentText {
  document: DocumentInfo;
  startChar: number;
  endChar: number;
  text: string;
}
// An empty request is an object too, so every transport sends one shape.
export type EmptyRequest = Record<string, never>;

// ---------------------------------------------------------------------------------------------
// The API

export interface RepriseApi {
  /** Pinned first, then by last activity. */
  listConversations(request: ListConversationsRequest): Promise<Page<ConversationSummary>>;
  createConversation(request: CreateConversationRequest): Promise<Conversation>;
  getConversation(request: ConversationRequest): Promise<ConversationDetail>;
  renameConversation(request: RenameConversationRequest): Promise<Conversation>;
  pinConversation(request: PinConversationRequest): Promise<Conversation>;
  /** Picks the sampling preset of the conversation's next replies (kept in its `settings`). */
  setConversationSampling(request: SetConversationSamplingRequest): Promise<Conversation>;
  /** Deletes it with every message; a reply being generated in it is stopped first. */
  deleteConversation(request: ConversationRequest): Promise<{ deleted: true }>;
  /** Stores the user message after the active leaf and streams the answer. */
  sendMessage: StreamCall<SendMessageRequest>;
  /** Stops the conversation's reply (the partial answer is kept, "interrupted"); a queued one is dropped likewise. */
  stop(request: ConversationRequest): Promise<{ stopped: boolean }>;
  regenerate: StreamCall<RegenerateRequest>;
  editMessage: StreamCall<EditMessageRequest>;
  /** One message, wherever it is (e.g. the source of a copied span); its `conversationId` says where. */
  getMessage(request: MessageRequest): Promise<Message>;
  /** Makes a sibling active; returns the conversation with its new active path. */
  switchBranch(request: SwitchBranchRequest): Promise<ConversationDetail>;
  /** Messages (`hits`) and, apart, the documents' text (`documentHits`). */
  search(request: SearchRequest): Promise<{ hits: SearchHit[]; documentHits: DocumentSearchHit[] }>;
  modelStatus(request: EmptyRequest): Promise<ModelStatus>;
  /** Loads another model file; resolves when it is ready (or with state "error" and the reason). */
  selectModel(request: SelectModelRequest): Promise<ModelStatus>;
  /** The models offered for download, with their size and how well each fits this machine. */
  modelCatalog(request: EmptyRequest): Promise<ModelCatalogView>;
  /**
   * Reads a model's GGUF header from Hugging Face (needs the internet; only on the user's request)
   * and says how it would fit this machine; the catalog shows that fit from then on.
   */
  checkModelFit(request: CheckModelFitRequest): Promise<ModelFitCheck>;
  /**
   * Starts downloading a model into the model cache and returns at once; follow it with
   * listDownloads. The file keeps a temporary name until its sha256 is checked.
   */
  startDownload(request: StartDownloadRequest): Promise<DownloadStatus>;
  /** Downloads of this run, newest first, with their progress. */
  listDownloads(request: EmptyRequest): Promise<{ downloads: DownloadStatus[] }>;
  /** Stops a download and removes its partial file. */
  cancelDownload(request: DownloadRequest): Promise<DownloadStatus>;
  getSettings(request: EmptyRequest): Promise<Settings>;
  updateSettings(request: UpdateSettingsRequest): Promise<Settings>;
  health(request: EmptyRequest): Promise<Health>;
  exportConversations(request: ExportRequest): Promise<ExportResult>;
  importConversations(request: ImportRequest): Promise<ImportSummary>;

  // Documents
  /** Takes the text out of the file and stores it in the conversation, chunked and indexed. */
  attachDocument(request: AttachDocumentRequest): Promise<DocumentInfo>;
  listDocuments(request: ConversationRequest): Promise<{ documents: DocumentInfo[] }>;
  /** Deletes it with its chunks and its text from every file; earlier questions lose the passages they cited. */
  deleteDocument(request: DocumentRequest): Promise<{ deleted: true }>;
  documentText(request: DocumentTextRequest): Promise<DocumentText>;
  /** The passages a question's prompt held, numbered as the reply cites them ([1], [2], …). */
  messageSources(request: MessageRequest): Promise<{ sources: MessageSource[] }>;
}

export type OperationName = keyof RepriseApi;
export type StreamOperationName = {
  [K in OperationName]: RepriseApi[K] extends StreamCall<never> ? K : never;
}[OperationName];
export type CallOperationName = Exclude<OperationName, StreamOperationName>;
export type RequestOf<K extends OperationName> = Parameters<RepriseApi[K]>[0];
export type ResponseOf<K extends CallOperationName> = Awaited<ReturnType<RepriseApi[K]>>;

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";

export interface Operation<Req> {
  method: HttpMethod;
  /**
   * `:name` segments are request fields. The other fields travel in the query string (GET) or as a
   * JSON body (every other method).
   */
  path: string;
  request: Schema<Req>;
  /** Streams `StreamEvent`s (text/event-stream over HTTP). */
  stream?: true;
  /** A larger request body than MAX_BODY_BYTES (an attached file). */
  maxBodyBytes?: number;
}

type OperationTable = {
  [K in OperationName]: Operation<RequestOf<K>> & (K extends StreamOperationName ? { stream: true } : { stream?: never });
};

const settingsFields = {
  maxTokens: number({ min: 1, max: MAX_REPLY_TOKENS, integer: true }),
  samplingPreset: oneOf(samplingPresets),
  temperature: number(samplingLimits.temperature),
  topK: number(samplingLimits.topK),
  topP: number(samplingLimits.topP),
  minP: number(samplingLimits.minP),
  repeatPenalty: number({ min: 1, max: 2 }),
  drafting: oneOf(["reference", "off"]),
  systemPrompt: string({ max: 20_000 }),
  similarAnswers: number({ min: 0, max: 10, integer: true }),
  contextSize: number({ min: 512, max: 131_072, integer: true }),
  threads: number({ min: 0, max: 256, integer: true }),
};

export const settingsSchema: Schema<Settings> = object(settingsFields);

const empty: Schema<EmptyRequest> = object({});

export const operations = {
  listConversations: {
    method: "GET",
    path: "/api/conversations",
    request: object({
      query: optional(string({ max: 1000 })),
      cursor: optional(string({ max: 1000 })),
      limit: optional(number({ min: 1, max: 500, integer: true })),
    }),
  },
  createConversation: {
    method: "POST",
    path: "/api/conversations",
    request: object({ title: optional(string({ min: 1, max: MAX_TITLE_CHARS })) }),
  },
  getConversation: { method: "GET", path: "/api/conversations/:conversationId", request: object({ conversationId: id }) },
  renameConversation: {
    method: "POST",
    path: "/api/conversations/:conversationId/rename",
    request: object({ conversationId: id, title: string({ min: 1, max: MAX_TITLE_CHARS }) }),
  },
  pinConversation: {
    method: "POST",
    path: "/api/conversations/:conversationId/pin",
    request: object({ conversationId: id, pinned: boolean() }),
  },
  setConversationSampling: {
    method: "POST",
    path: "/api/conversations/:conversationId/sampling",
    request: object({ conversationId: id, samplingPreset: oneOf([...samplingPresets, "app"] as const) }),
  },
  deleteConversation: {
    method: "DELETE",
    path: "/api/conversations/:conversationId",
    request: object({ conversationId: id }),
  },
  sendMessage: {
    method: "POST",
    path: "/api/conversations/:conversationId/messages",
    request: object({ conversationId: id, text }),
    stream: true,
  },
  stop: { method: "POST", path: "/api/conversations/:conversationId/stop", request: object({ conversationId: id }) },
  regenerate: {
    method: "POST",
    path: "/api/messages/:messageId/regenerate",
    request: object({ messageId: id }),
    stream: true,
  },
  editMessage: {
    method: "POST",
    path: "/api/messages/:messageId/edit",
    request: object({ messageId: id, text }),
    stream: true,
  },
  getMessage: { method: "GET", path: "/api/messages/:messageId", request: object({ messageId: id }) },
  switchBranch: { method: "POST", path: "/api/messages/:messageId/activate", request: object({ messageId: id }) },
  search: {
    method: "GET",
    path: "/api/search",
    request: object({
      q: string({ max: 1000 }),
      limit: optional(number({ min: 1, max: 200, integer: true })),
      offset: optional(number({ min: 0, max: 100_000, integer: true })),
    }),
  },
  modelStatus: { method: "GET", path: "/api/model", request: empty },
  selectModel: { method: "POST", path: "/api/model", request: object({ path: string({ min: 1, max: 4096 }) }) },
  modelCatalog: { method: "GET", path: "/api/models/catalog", request: empty },
  checkModelFit: { method: "POST", path: "/api/models/fit", request: object({ source: string({ min: 1, max: 2048 }) }) },
  startDownload: { method: "POST", path: "/api/downloads", request: object({ source: string({ min: 1, max: 2048 }) }) },
  listDownloads: { method: "GET", path: "/api/downloads", request: empty },
  cancelDownload: { method: "POST", path: "/api/downloads/:downloadId/cancel", request: object({ downloadId: id }) },
  getSettings: { method: "GET", path: "/api/settings", request: empty },
  updateSettings: {
    method: "PATCH",
    path: "/api/settings",
    request: object({
      maxTokens: optional(settingsFields.maxTokens),
      samplingPreset: optional(settingsFields.samplingPreset),
      temperature: optional(settingsFields.temperature),
      topK: optional(settingsFields.topK),
      topP: optional(settingsFields.topP),
      minP: optional(settingsFields.minP),
      repeatPenalty: optional(settingsFields.repeatPenalty),
      drafting: optional(settingsFields.drafting),
      systemPrompt: optional(settingsFields.systemPrompt),
      similarAnswers: optional(settingsFields.similarAnswers),
      contextSize: optional(settingsFields.contextSize),
      threads: optional(settingsFields.threads),
    }),
  },
  health: { method: "GET", path: "/api/health", request: empty },
  exportConversations: {
    method: "POST",
    path: "/api/export",
    request: object({
      conversationIds: optional(array(id, { max: 100_000 })),
      format: oneOf(["json", "markdown"]),
    }),
  },
  importConversations: {
    method: "POST",
    path: "/api/import",
    request: object({ content: string({ min: 1 }), onExisting: optional(oneOf(["copy", "skip"])) }),
  },

  // Documents
  attachDocument: {
    method: "POST",
    path: "/api/conversations/:conversationId/documents",
    request: object({
      conversationId: id,
      // Checked by the service, which says what is wrong with a name in words.
      name: string({ max: 10_000 }),
      mediaType: string({ max: 200 }),
      contentBase64: string({ max: MAX_DOCUMENT_BODY_BYTES }),
    }),
    maxBodyBytes: MAX_DOCUMENT_BODY_BYTES,
  },
  listDocuments: {
    method: "GET",
    path: "/api/conversations/:conversationId/documents",
    request: object({ conversationId: id }),
  },
  deleteDocument: { method: "DELETE", path: "/api/documents/:documentId", request: object({ documentId: id }) },
  documentText: {
    method: "GET",
    path: "/api/documents/:documentId/text",
    request: object({
      documentId: id,
      startChar: optional(number({ min: 0, integer: true })),
      endChar: optional(number({ min: 0, integer: true })),
    }),
  },
  messageSources: { method: "GET", path: "/api/messages/:messageId/sources", request: object({ messageId: id }) },
} as const satisfies OperationTable;

export const operationNames = Object.keys(operations) as OperationName[];

export function isStreamOperation(name: OperationName): name is StreamOperationName {
  return "stream" in operations[name];
}

/** Validates a request for `name`; throws ValidationError naming the bad field. */
export function parseRequest<K extends OperationName>(
  name: K,
  value: unknown,
  options?: { fromQuery?: boolean },
): RequestOf<K> {
  const schema = operations[name].request as Schema<RequestOf<K>>;
  return schema.parse(value, { path: "request", fromQuery: options?.fromQuery });
}

/** Builds an operation's URL path, with path parameters filled and escaped. */
export function pathFor(name: OperationName, request: { [key: string]: unknown }): string {
  return operations[name].path.replace(/:(\w+)/g, (_, key: string) => encodeURIComponent(String(request[key])));
}

/** The names of an operation's path parameters, in order. */
export function pathParams(name: OperationName): string[] {
  return [...operations[name].path.matchAll(/:(\w+)/g)].map((m) => m[1] as string);
}
