import {
  ApiError,
  type ConversationDetail,
  type ConversationSummary,
  type DocumentInfo,
  type MessageSource,
  type Message,
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
    busy: { generating: null, queued: [] },
  };
  settings: Settings = { maxTokens: 64, temperature: 0, repeatPenalty: 1, drafting: "reference", systemPrompt: "", similarAnswers: 4 };
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
      conversation: { ...s, settings: {}, activeRootId: null },
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
