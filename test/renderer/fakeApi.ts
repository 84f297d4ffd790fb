import { defaultSettings } from "../../electron/chat/defaultSettings";
import {
  ApiError,
  type ConversationDetail,
  type ConversationSummary,
  type DownloadStatus,
  type DocumentInfo,
  type MessageSource,
  type Message,
  type ModelCatalogView,
  type MessageStats,
  type ModelStatus,
  type PathMessage,
  type RepriseApi,
  type SearchHit,
  type Settings,
  type StreamEnd,
  type StreamEvent,
} from "../../electron/api/contract";

/** A stream the test finishes by hand: tokens first, then done. */
export interface PendingStream {
  request: unknown;
  emit(event: StreamEvent): void;
  finish(end: StreamEnd): void;
}

let ids = 0;
const now = 1_700_000_000_000;

export function message(partial: Partial<PathMessage> & Pick<Message, "role" | "content">): PathMessage {
  const id = partial.id ?? `m${++ids}`;
  return {
    id,
    conversationId: "c1",
    parentId: null,
    activeChildId: null,
    thought: "",
    status: "complete",
    error: null,
    createdAt: now,
    updatedAt: now,
    model: null,
    stats: null,
    siblingIds: [id],
    ...partial,
  };
}

export function stats(partial: Partial<MessageStats> = {}): MessageStats {
  return {
    tokens: 60,
    forwardPasses: 20,
    drafted: 50,
    accepted: 40,
    ms: 1000,
    tokensPerSecond: 60,
    copiedSpans: [],
    drafting: { on: true },
    speedup: 2.4,
    ...partial,
  };
}

function catalogModel(partial: Partial<ModelCatalogView["models"][number]> & { id: string; name: string; fileName: string }): ModelCatalogView["models"][number] {
  return {
    description: "A model.",
    kind: "chat",
    source: `hf:someone/repo/${partial.fileName}`,
    downloadBytes: 1e9,
    downloadBytesExact: false,
    localPath: null,
    fit: null,
    fitUnknownReason: partial.fit ? null : "Memory need not known until it is downloaded (or Check fit reads it online).",
    recommended: false,
    ...partial,
  };
}

function summary(id: string, title: string, pinned = false): ConversationSummary {
  return { id, title, createdAt: now, updatedAt: now, model: null, pinned, messageCount: 0 };
}

/**
 * An in-memory RepriseApi for component tests. Streams stay open until the
 * test finishes them, so what the UI shows mid-reply can be checked.
 */
export class FakeApi {
  conversations: ConversationSummary[] = [summary("c1", "First chat"), summary("c2", "Second chat")];
  paths = new Map<string, PathMessage[]>([["c1", []], ["c2", []]]);
  model: ModelStatus = {
    state: "ready",
    path: "/models/gemma.gguf",
    name: "gemma.gguf",
    message: null,
    contextSize: 4096,
    threads: 2,
    kind: "chat",
    drafting: {
      binary: "reprise",
      backend: "cpu",
      maxDraftTokens: 32,
      selfCheck: { passed: true, checkedDraftTokens: 32, failure: null },
      plainTokensPerSecond: 95,
      bestTokensPerSecond: 610,
      bestBatchTokens: 16,
      limitation: null,
    },
    busy: { generating: null, queued: [] },
  };
  catalog: ModelCatalogView = {
    machine: { ramBytes: 16e9, freeRamBytes: 12e9, vramBytes: 0, gpu: null },
    models: [
      catalogModel({ id: "smol", name: "SmolLM2 135M Instruct (Q4_1)", fileName: "smol.gguf", downloadBytes: 98_362_432, downloadBytesExact: true, localPath: "/cache/smol.gguf", fit: { level: "good", score: 1, ramBytes: 294e6, vramBytes: 0, contextSize: 4096 } }),
      catalogModel({ id: "qwen3-4b", name: "Qwen3 4B (Q4_K_M)", fileName: "Qwen3-4B-Q4_K_M.gguf", downloadBytes: 2.5e9, recommended: true, fit: { level: "fair", score: 0.8, ramBytes: 3.1e9, vramBytes: 0, contextSize: 4096 } }),
      catalogModel({ id: "qwen3-8b", name: "Qwen3 8B (Q4_K_M)", fileName: "Qwen3-8B-Q4_K_M.gguf", downloadBytes: 5.03e9 }),
      catalogModel({ id: "gemma-270m", name: "Gemma 3 270M (base model)", kind: "base", fileName: "gemma.gguf", downloadBytes: 253e6, downloadBytesExact: true }),
    ],
  };
  /** What listDownloads answers: tests move a download along by editing it. */
  downloads: DownloadStatus[] = [];
  settings: Settings = { ...defaultSettings, maxTokens: 64 };
  /** Each conversation's own settings, as `setConversationSampling` leaves them. */
  conversationSettings = new Map<string, ConversationDetail["conversation"]["settings"]>();
  hits: SearchHit[] = [];
  documents: DocumentInfo[] = [];
  /** Sources by answer id (the fake does not model questions). */
  sources = new Map<string, MessageSource[]>();
  streams: PendingStream[] = [];
  calls: { name: string; request: unknown }[] = [];

  private record(name: string, request: unknown): void {
    this.calls.push({ name, request });
  }

  private detail(conversationId: string): ConversationDetail {
    const s = this.conversations.find((c) => c.id === conversationId)!;
    return {
      conversation: { ...s, settings: this.conversationSettings.get(conversationId) ?? {}, activeRootId: null },
      messages: this.paths.get(conversationId) ?? [],
      generatingMessageId: null,
    };
  }

  private stream(name: string) {
    return (request: unknown, onEvent: (event: StreamEvent) => void): Promise<StreamEnd> => {
      this.record(name, request);
      return new Promise((resolve) => {
        this.streams.push({
          request,
          emit: onEvent,
          finish: (end) => {
            onEvent(end);
            resolve(end);
          },
        });
      });
    };
  }

  readonly api: RepriseApi = {
    listConversations: async (request) => {
      this.record("listConversations", request);
      return { items: [...this.conversations], nextCursor: null };
    },
    createConversation: async (request) => {
      this.record("createConversation", request);
      const id = `c${this.conversations.length + 1}`;
      this.conversations.unshift(summary(id, "New conversation"));
      this.paths.set(id, []);
      return this.detail(id).conversation;
    },
    getConversation: async (request) => {
      this.record("getConversation", request);
      return this.detail(request.conversationId);
    },
    renameConversation: async (request) => {
      this.record("renameConversation", request);
      this.conversations = this.conversations.map((c) => (c.id === request.conversationId ? { ...c, title: request.title } : c));
      return this.detail(request.conversationId).conversation;
    },
    pinConversation: async (request) => {
      this.record("pinConversation", request);
      this.conversations = this.conversations.map((c) => (c.id === request.conversationId ? { ...c, pinned: request.pinned } : c));
      this.conversations.sort((a, b) => Number(b.pinned) - Number(a.pinned));
      return this.detail(request.conversationId).conversation;
    },
    setConversationSampling: async (request) => {
      this.record("setConversationSampling", request);
      this.conversationSettings.set(request.conversationId, request.samplingPreset === "app" ? {} : { samplingPreset: request.samplingPreset });
      return this.detail(request.conversationId).conversation;
    },
    deleteConversation: async (request) => {
      this.record("deleteConversation", request);
      this.conversations = this.conversations.filter((c) => c.id !== request.conversationId);
      return { deleted: true };
    },
    sendMessage: this.stream("sendMessage"),
    regenerate: this.stream("regenerate"),
    editMessage: this.stream("editMessage"),
    stop: async (request) => {
      this.record("stop", request);
      return { stopped: true };
    },
    getMessage: async (request) => {
      this.record("getMessage", request);
      for (const [conversationId, path] of this.paths) {
        const found = path.find((m) => m.id === request.messageId);
        if (found) return { ...found, conversationId };
      }
      throw new ApiError("not_found", `No message ${request.messageId}`);
    },
    switchBranch: async (request) => {
      this.record("switchBranch", request);
      return this.detail("c1");
    },
    search: async (request) => {
      this.record("search", request);
      return { hits: this.hits, documentHits: [] };
    },
    modelStatus: async () => this.model,
    selectModel: async (request) => {
      this.record("selectModel", request);
      this.model = { ...this.model, state: "ready", path: request.path, name: "picked.gguf", message: null };
      return this.model;
    },
    modelCatalog: async () => this.catalog,
    checkModelFit: async (request) => {
      this.record("checkModelFit", request);
      const model = this.catalog.models.find((m) => m.id === request.source);
      const fit = { level: "none" as const, score: 0, ramBytes: 40e9, vramBytes: 0, contextSize: 4096 };
      if (model) this.catalog = { ...this.catalog, models: this.catalog.models.map((m) => (m === model ? { ...m, fit, fitUnknownReason: null } : m)) };
      return { fileName: model?.fileName ?? request.source.slice(request.source.lastIndexOf("/") + 1), kind: "chat", fit };
    },
    startDownload: async (request) => {
      this.record("startDownload", request);
      const model = this.catalog.models.find((m) => m.id === request.source);
      const fileName = model?.fileName ?? request.source.slice(request.source.lastIndexOf("/") + 1);
      const status: DownloadStatus = {
        id: `d${this.downloads.length + 1}`,
        fileName,
        url: `https://huggingface.co/someone/repo/resolve/main/${fileName}`,
        state: "downloading",
        receivedBytes: 0,
        totalBytes: null,
        path: null,
        error: null,
      };
      this.downloads.unshift(status);
      return { ...status };
    },
    listDownloads: async () => ({ downloads: this.downloads.map((d) => ({ ...d })) }),
    cancelDownload: async (request) => {
      this.record("cancelDownload", request);
      const status = this.downloads.find((d) => d.id === request.downloadId);
      if (!status) throw new ApiError("not_found", "There is no such download.");
      Object.assign(status, { state: "cancelled" });
      return { ...status };
    },
    getSettings: async () => this.settings,
    updateSettings: async (request) => {
      this.record("updateSettings", request);
      this.settings = { ...this.settings, ...request };
      return this.settings;
    },
    health: async () => {
      throw new Error("not used");
    },
    exportConversations: async () => ({ fileName: "x.json", mimeType: "application/json", content: "{}" }),
    importConversations: async () => ({ conversationIds: [], skipped: 0 }),
    attachDocument: async (request) => {
      this.record("attachDocument", request);
      const text = atob(request.contentBase64);
      const document: DocumentInfo = {
        id: `d${this.documents.length + 1}`,
        conversationId: request.conversationId,
        name: request.name,
        mediaType: request.mediaType,
        bytes: text.length,
        chars: text.length,
        chunks: 1,
        createdAt: now,
      };
      this.documents.push(document);
      return document;
    },
    listDocuments: async (request) => ({ documents: this.documents.filter((d) => d.conversationId === request.conversationId) }),
    deleteDocument: async (request) => {
      this.record("deleteDocument", request);
      this.documents = this.documents.filter((d) => d.id !== request.documentId);
      return { deleted: true };
    },
    documentText: async (request) => {
      const document = this.documents.find((d) => d.id === request.documentId);
      if (!document) throw new ApiError("not_found", `No document ${request.documentId}`);
      return { document, startChar: 0, endChar: 0, text: "" };
    },
    messageSources: async (request) => ({ sources: this.sources.get(request.messageId) ?? [] }),
  };
}
