import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { exportConversations, importConversations, toMarkdown } from "./exportImport.js";
import type { ExportFile, ImportOptions, ImportResult } from "./exportImport.js";
import { DocumentIndex } from "./documents.js";
import type { NewDocument, RetrieveOptions, SourceRange } from "./documents.js";
import { InvalidArgumentError, InvalidStateError, NotFoundError } from "./errors.js";
import { keepAside, openDatabase } from "./open.js";
import type { OpenOptions } from "./open.js";
import { toConversation, toMessage } from "./rows.js";
import type { ConversationRow, MessageRow } from "./rows.js";
import { SearchIndex } from "./search.js";
import type { SearchOptions, SimilarOptions } from "./search.js";
import { questionHash } from "./text.js";
import type {
  Conversation,
  ConversationSettings,
  ConversationSummary,
  DocumentInfo,
  DocumentSearchHit,
  FinalStatus,
  Message,
  MessageSource,
  MessageStats,
  MessageStatus,
  Page,
  PathMessage,
  ReferenceCandidate,
  RetrievedPassage,
  Role,
  SearchHit,
} from "./types.js";

export interface StoreOptions extends OpenOptions {
  /** Milliseconds since the epoch; tests pass their own to control ordering by time. */
  clock?: () => number;
}

export interface NewConversation {
  title?: string;
  model?: string | null;
  settings?: ConversationSettings;
}

export interface NewMessage {
  conversationId: string;
  /** Omitted: continue the active path (after its leaf). null: a new root. */
  parentId?: string | null;
  role: Role;
  content: string;
  /** Default "complete"; an answer being generated starts as "streaming". */
  status?: MessageStatus;
  model?: string | null;
  stats?: MessageStats | null;
  error?: string | null;
}

export interface FinishMessage {
  status?: FinalStatus;
  /** The final text; omitted keeps the text of the last streaming update. */
  content?: string;
  /** The final thought of a thinking model; omitted keeps that of the last streaming update. */
  thought?: string;
  stats?: MessageStats | null;
  error?: string | null;
}

export interface ListOptions {
  limit?: number;
  cursor?: string | null;
}

export interface DeleteResult {
  /**
   * The WAL was checkpointed and truncated, so no copy of the deleted text is left in the files.
   * False only when another connection held a read transaction that kept old WAL frames alive.
   */
  purged: boolean;
}

// A checkpoint costs an fsync (about 15 ms here): run it once writes pause rather than inside one.
// Streaming updates come several times a second, so a reply being written never waits for it.
const IDLE_CHECKPOINT_MS = 500;

// Depth guard for the recursive walks: the store never creates a cycle, but a walk must end even on a
// damaged file.
const MAX_DEPTH = 1_000_000;

interface Cursor {
  pinned: number;
  updatedAt: number;
  id: string;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.pinned, c.updatedAt, c.id])).toString("base64url");
}

function decodeCursor(cursor: string): Cursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 3) {
      const [pinned, updatedAt, id] = value as unknown[];
      if (typeof pinned === "number" && typeof updatedAt === "number" && typeof id === "string") {
        return { pinned, updatedAt, id };
      }
    }
  } catch {
    // Reported below like any other malformed cursor.
  }
  throw new InvalidArgumentError(`Invalid list cursor ${JSON.stringify(cursor)}`);
}

function encodeTokens(tokens: Iterable<number>, count: number): Buffer {
  const buf = Buffer.allocUnsafe(count * 4);
  let offset = 0;
  for (const t of tokens) {
    if (!Number.isInteger(t) || t < 0 || t > 0xffffffff) throw new RangeError(`Token id ${t} is not a uint32`);
    offset = buf.writeUInt32LE(t, offset);
  }
  return buf;
}

function decodeTokens(buf: Buffer): Uint32Array {
  const out = new Uint32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readUInt32LE(i * 4);
  return out;
}

/**
 * The conversation store. One instance owns the only connection to its file and is the only writer;
 * all methods are synchronous (better-sqlite3) and each write is one transaction.
 */
export class Store {
  /** Messages that were still streaming when the previous session died; now "interrupted". */
  readonly recoveredMessageIds: readonly string[];
  readonly path: string;
  private readonly db: Database.Database;
  private readonly now: () => number;
  private readonly searchIndex: SearchIndex;
  private readonly documents: DocumentIndex;
  private readonly s;
  private idleTimer: NodeJS.Timeout | null = null;

  /**
   * Opens the store at `path`, creating it if there is no file. Throws a BadDatabaseError subclass
   * (NotSQLiteError, TruncatedDatabaseError, CorruptDatabaseError, NewerVersionError,
   * ForeignDatabaseError, CannotOpenError) when the file cannot be used; see `startFresh`.
   */
  static open(path: string, options: StoreOptions = {}): Store {
    const db = openDatabase(path, options);
    try {
      return new Store(path, db, options.clock ?? Date.now);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /**
   * For a file that `open` rejected, once the user chose to: keeps the file aside (see `keepAside`)
   * and opens a new empty store at the same path.
   */
  static startFresh(path: string, options: StoreOptions = {}): { store: Store; keptAsidePath: string } {
    const keptAsidePath = keepAside(path);
    return { store: Store.open(path, options), keptAsidePath };
  }

  private constructor(path: string, db: Database.Database, clock: () => number) {
    this.path = path;
    this.db = db;
    this.now = clock;
    this.s = {
      getConversation: db.prepare<[string], ConversationRow>("SELECT * FROM conversations WHERE id = ?"),
      insertConversation: db.prepare(
        `INSERT INTO conversations (id, title, created_at, updated_at, model, settings, pinned, active_root_id)
         VALUES (@id, @title, @createdAt, @updatedAt, @model, @settings, @pinned, @activeRootId)`,
      ),
      rename: db.prepare("UPDATE conversations SET title = ? WHERE id = ?"),
      pin: db.prepare("UPDATE conversations SET pinned = ? WHERE id = ?"),
      configure: db.prepare("UPDATE conversations SET model = ?, settings = ? WHERE id = ?"),
      touch: db.prepare("UPDATE conversations SET updated_at = max(updated_at, ?) WHERE id = ?"),
      setActiveRoot: db.prepare("UPDATE conversations SET active_root_id = ? WHERE id = ?"),
      deleteConversation: db.prepare("DELETE FROM conversations WHERE id = ?"),
      listFirst: db.prepare<[number], ConversationRow & { message_count: number }>(
        `SELECT c.*, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count
         FROM conversations c ORDER BY c.pinned DESC, c.updated_at DESC, c.id DESC LIMIT ?`,
      ),
      listAfter: db.prepare<[number, number, string, number], ConversationRow & { message_count: number }>(
        `SELECT c.*, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count
         FROM conversations c WHERE (c.pinned, c.updated_at, c.id) < (?, ?, ?)
         ORDER BY c.pinned DESC, c.updated_at DESC, c.id DESC LIMIT ?`,
      ),
      getMessage: db.prepare<[string], MessageRow>("SELECT * FROM messages WHERE id = ?"),
      insertMessage: db.prepare(
        `INSERT INTO messages (id, conversation_id, parent_id, active_child_id, role, content, thought, status, error,
                               created_at, updated_at, model, stats, question_hash)
         VALUES (@id, @conversationId, @parentId, @activeChildId, @role, @content, @thought, @status, @error,
                 @createdAt, @updatedAt, @model, @stats, @questionHash)`,
      ),
      setActiveChild: db.prepare("UPDATE messages SET active_child_id = ? WHERE id = ?"),
      updateStreaming: db.prepare(
        "UPDATE messages SET content = ?, thought = ?, updated_at = ? WHERE id = ? AND status = 'streaming'",
      ),
      finish: db.prepare<
        {
          id: string;
          status: FinalStatus;
          content: string | null;
          thought: string | null;
          stats: string | null;
          error: string | null;
          now: number;
        },
        MessageRow
      >(
        `UPDATE messages SET status = @status, content = coalesce(@content, content), thought = coalesce(@thought, thought), stats = @stats,
                             error = @error, updated_at = @now
         WHERE id = @id AND status = 'streaming' RETURNING *`,
      ),
      activeLeaf: db.prepare<[string, number], { id: string }>(
        `WITH RECURSIVE walk (id, next, depth) AS (
           SELECT m.id, m.active_child_id, 0 FROM conversations c JOIN messages m ON m.id = c.active_root_id
           WHERE c.id = ?
           UNION ALL
           SELECT m.id, m.active_child_id, w.depth + 1 FROM walk w JOIN messages m ON m.id = w.next
           WHERE w.depth < ?
         )
         SELECT id FROM walk ORDER BY depth DESC LIMIT 1`,
      ),
      activePath: db.prepare<[string, number], MessageRow & { sibling_ids: string }>(
        `WITH RECURSIVE walk (seq, next, depth) AS (
           SELECT m.seq, m.active_child_id, 0 FROM conversations c JOIN messages m ON m.id = c.active_root_id
           WHERE c.id = ?
           UNION ALL
           SELECT m.seq, m.active_child_id, w.depth + 1 FROM walk w JOIN messages m ON m.id = w.next
           WHERE w.depth < ?
         )
         SELECT m.*,
           CASE WHEN m.parent_id IS NULL
             THEN (SELECT json_group_array(s.id ORDER BY s.seq) FROM messages s
                   WHERE s.conversation_id = m.conversation_id AND s.parent_id IS NULL)
             ELSE (SELECT json_group_array(s.id ORDER BY s.seq) FROM messages s WHERE s.parent_id = m.parent_id)
           END AS sibling_ids
         FROM walk w JOIN messages m ON m.seq = w.seq ORDER BY w.depth`,
      ),
      markInterrupted: db.prepare<[number], { id: string }>(
        "UPDATE messages SET status = 'interrupted', updated_at = ? WHERE status = 'streaming' RETURNING id",
      ),
      allConversationIds: db
        .prepare<[], string>("SELECT id FROM conversations ORDER BY created_at, id")
        .pluck(),
      putTokens: db.prepare("INSERT OR REPLACE INTO message_tokens (message_id, model_id, tokens) VALUES (?, ?, ?)"),
      getTokens: db
        .prepare<[string, string], Buffer>("SELECT tokens FROM message_tokens WHERE message_id = ? AND model_id = ?")
        .pluck(),
      putDocumentTokens: db.prepare(
        "INSERT OR REPLACE INTO document_tokens (document_id, model_id, tokens) VALUES (?, ?, ?)",
      ),
      getDocumentTokens: db
        .prepare<[string, string], Buffer>("SELECT tokens FROM document_tokens WHERE document_id = ? AND model_id = ?")
        .pluck(),
    };
    this.searchIndex = new SearchIndex(db);
    this.documents = new DocumentIndex(db);
    this.recoveredMessageIds = this.s.markInterrupted.all(this.now()).map((r) => r.id);
  }

  close(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.db.close();
  }

  /** Full PRAGMA integrity_check; returns SQLite's problem list, empty when the file is sound. */
  checkIntegrity(): string[] {
    const rows = this.db.pragma("integrity_check") as { integrity_check: string }[];
    const problems = rows.map((r) => r.integrity_check);
    return problems.length === 1 && problems[0] === "ok" ? [] : problems;
  }

  // ---- conversations ----

  createConversation(input: NewConversation = {}): Conversation {
    const now = this.now();
    const conversation: Conversation = {
      id: randomUUID(),
      title: input.title ?? "New conversation",
      createdAt: now,
      updatedAt: now,
      model: input.model ?? null,
      settings: input.settings ?? {},
      pinned: false,
      activeRootId: null,
    };
    this.s.insertConversation.run({ ...conversation, settings: JSON.stringify(conversation.settings), pinned: 0 });
    this.wrote();
    return conversation;
  }

  getConversation(id: string): Conversation {
    const row = this.s.getConversation.get(id);
    if (!row) throw new NotFoundError("Conversation", id);
    return toConversation(row);
  }

  /** Like pinning and configuring, renaming is not activity: the conversation keeps its place in the list. */
  renameConversation(id: string, title: string): void {
    this.expectChange(this.s.rename.run(title, id), "Conversation", id);
  }

  pinConversation(id: string, pinned: boolean): void {
    this.expectChange(this.s.pin.run(pinned ? 1 : 0, id), "Conversation", id);
  }

  configureConversation(id: string, config: { model: string | null; settings: ConversationSettings }): void {
    this.expectChange(this.s.configure.run(config.model, JSON.stringify(config.settings), id), "Conversation", id);
  }

  /**
   * Deletes the conversation with its messages, token caches and index entries, then checkpoints
   * and truncates the WAL so that its text is gone from every file (secure_delete zeroes the freed
   * space, FTS5 secure-delete removes the index entries instead of recording tombstones).
   */
  deleteConversation(id: string): DeleteResult {
    if (this.s.deleteConversation.run(id).changes === 0) throw new NotFoundError("Conversation", id);
    return this.purge();
  }

  /** Pinned first, then by last activity, newest first. */
  listConversations(options: ListOptions = {}): Page<ConversationSummary> {
    const limit = Math.max(1, Math.min(options.limit ?? 50, 500));
    const rows = options.cursor
      ? (() => {
          const c = decodeCursor(options.cursor);
          return this.s.listAfter.all(c.pinned, c.updatedAt, c.id, limit + 1);
        })()
      : this.s.listFirst.all(limit + 1);
    const items = rows.slice(0, limit).map((r) => ({
      id: r.id,
      title: r.title,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      model: r.model,
      pinned: r.pinned === 1,
      messageCount: r.message_count,
    }));
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return {
      items,
      nextCursor: last ? encodeCursor({ pinned: last.pinned, updatedAt: last.updated_at, id: last.id }) : null,
    };
  }

  // ---- messages ----

  getMessage(id: string): Message {
    return toMessage(this.messageRow(id));
  }

  /** Adds a message and makes it the active continuation of its parent. */
  appendMessage(input: NewMessage): Message {
    return this.db.transaction(() => {
      const conversation = this.s.getConversation.get(input.conversationId);
      if (!conversation) throw new NotFoundError("Conversation", input.conversationId);
      let parentId: string | null;
      if (input.parentId === undefined) {
        parentId = this.s.activeLeaf.get(conversation.id, MAX_DEPTH)?.id ?? null;
      } else {
        parentId = input.parentId;
        if (parentId !== null && this.messageRow(parentId).conversation_id !== conversation.id) {
          throw new InvalidStateError(`Message ${parentId} is not in conversation ${conversation.id}`);
        }
      }
      return this.insertActive({ ...input, parentId });
    })();
  }

  /**
   * Replaces the text of a streaming message: one UPDATE of one row, no index work, cheap enough to
   * run several times a second so that a crash loses at most the text since the last call.
   */
  updateStreamingContent(messageId: string, content: string, thought = ""): void {
    if (this.s.updateStreaming.run(content, thought, this.now(), messageId).changes === 0) {
      this.messageRow(messageId);
      throw new InvalidStateError(`Message ${messageId} is not streaming`);
    }
    this.wrote();
  }

  /** Ends a streaming message: its final status, text and stats. Its text becomes searchable. */
  finishMessage(messageId: string, result: FinishMessage = {}): Message {
    return this.db.transaction(() => {
      const now = this.now();
      const row = this.s.finish.get({
        id: messageId,
        status: result.status ?? "complete",
        content: result.content ?? null,
        thought: result.thought ?? null,
        stats: result.stats ? JSON.stringify(result.stats) : null,
        error: result.error ?? null,
        now,
      });
      if (!row) {
        this.messageRow(messageId);
        throw new InvalidStateError(`Message ${messageId} is not streaming`);
      }
      this.s.touch.run(now, row.conversation_id);
      this.wrote();
      return toMessage(row);
    })();
  }

  // ---- branches ----

  /** An edit is a new user message beside the original (same parent); it becomes the active branch. */
  editUserMessage(messageId: string, content: string): Message {
    return this.db.transaction(() => {
      const original = this.messageRow(messageId);
      if (original.role !== "user") throw new InvalidStateError(`Message ${messageId} is not a user message`);
      return this.insertActive({
        conversationId: original.conversation_id,
        parentId: original.parent_id,
        role: "user",
        content,
      });
    })();
  }

  /**
   * A regeneration is a new, empty, streaming assistant message beside the original answer;
   * it becomes the active branch. Stream into it and finish it like any answer.
   */
  regenerate(messageId: string, options: { model?: string | null } = {}): Message {
    return this.db.transaction(() => {
      const original = this.messageRow(messageId);
      if (original.role !== "assistant") {
        throw new InvalidStateError(`Message ${messageId} is not an assistant message`);
      }
      return this.insertActive({
        conversationId: original.conversation_id,
        parentId: original.parent_id,
        role: "assistant",
        content: "",
        status: "streaming",
        model: options.model === undefined ? original.model : options.model,
      });
    })();
  }

  /**
   * Makes `messageId` the active one among its siblings and returns the new active path. Below it the
   * path follows the branch last active there, which is its newest leaf unless the user switched
   * inside that branch before.
   */
  switchBranch(messageId: string): PathMessage[] {
    return this.db.transaction(() => {
      const row = this.messageRow(messageId);
      this.setActive(row.conversation_id, row.parent_id, row.id);
      this.wrote();
      return this.getActivePath(row.conversation_id);
    })();
  }

  /** The messages from the active root to the active leaf. */
  getActivePath(conversationId: string): PathMessage[] {
    const rows = this.s.activePath.all(conversationId, MAX_DEPTH);
    if (rows.length === 0) this.getConversation(conversationId);
    return rows.map((r) => ({ ...toMessage(r), siblingIds: JSON.parse(r.sibling_ids) as string[] }));
  }

  // ---- token-id cache ----

  putTokens(messageId: string, modelId: string, tokens: Uint32Array | readonly number[]): void {
    this.messageRow(messageId);
    this.s.putTokens.run(messageId, modelId, encodeTokens(tokens, tokens.length));
    this.wrote();
  }

  /** The cached token ids of the message's current text for that model, or null. */
  getTokens(messageId: string, modelId: string): Uint32Array | null {
    const buf = this.s.getTokens.get(messageId, modelId);
    return buf ? decodeTokens(buf) : null;
  }

  // ---- search ----

  search(query: string, options?: SearchOptions): SearchHit[] {
    return this.searchIndex.search(query, options);
  }

  similarQuestions(text: string, options?: SimilarOptions): ReferenceCandidate[] {
    return this.searchIndex.similarQuestions(text, options);
  }

  // ---- documents ----

  /** Stores a document's text, split into indexed chunks, in one transaction. */
  addDocument(input: Omit<NewDocument, "id" | "createdAt">): DocumentInfo {
    return this.db.transaction(() => {
      this.getConversation(input.conversationId);
      const document = this.documents.add({ ...input, createdAt: this.now() });
      this.wrote();
      return document;
    })();
  }

  getDocument(id: string): DocumentInfo {
    return this.documents.get(id);
  }

  /** The conversation's documents, oldest first. */
  listDocuments(conversationId: string): DocumentInfo[] {
    this.getConversation(conversationId);
    return this.documents.list(conversationId);
  }

  documentTotals(conversationId: string): { documents: number; bytes: number } {
    return this.documents.totals(conversationId);
  }

  /** The document's text in [startChar, endChar), clamped to it. */
  documentText(id: string, startChar?: number, endChar?: number): string {
    this.documents.get(id);
    return this.documents.text(id, startChar, endChar);
  }

  /**
   * Deletes the document with its chunks, index entries and the sources citing it, and purges the
   * WAL as `deleteConversation` does.
   */
  deleteDocument(id: string): DeleteResult {
    this.documents.delete(id);
    return this.purge();
  }

  /** The passages of the conversation's documents that best match `text`, best first. */
  retrievePassages(conversationId: string, text: string, options?: RetrieveOptions): RetrievedPassage[] {
    return this.documents.retrieve(conversationId, text, options);
  }

  /** Records the passages put into a user message's prompt as its sources [1], [2], …, replacing none. */
  setMessageSources(messageId: string, sources: readonly SourceRange[]): void {
    this.db.transaction(() => {
      const message = this.messageRow(messageId);
      if (message.role !== "user") throw new InvalidStateError(`Message ${messageId} is not a user message`);
      if (this.documents.sources(messageId).length > 0) throw new InvalidStateError(`Message ${messageId} has sources already`);
      this.documents.setSources(messageId, sources);
    })();
    this.wrote();
  }

  /** A user message's sources with their text (none when it has none or their documents are gone). */
  messageSources(messageId: string): MessageSource[] {
    this.messageRow(messageId);
    return this.documents.sources(messageId);
  }

  /** The ids of the conversation's messages that cite passages of its documents. */
  messagesWithSources(conversationId: string): Set<string> {
    return this.documents.sourcedMessages(conversationId);
  }

  /** Token ids of a document's text for a model: it is tokenized once per model. */
  putDocumentTokens(documentId: string, modelId: string, tokens: Uint32Array | readonly number[]): void {
    this.documents.get(documentId);
    this.s.putDocumentTokens.run(documentId, modelId, encodeTokens(tokens, tokens.length));
    this.wrote();
  }

  getDocumentTokens(documentId: string, modelId: string): Uint32Array | null {
    const buf = this.s.getDocumentTokens.get(documentId, modelId);
    return buf ? decodeTokens(buf) : null;
  }

  searchDocuments(query: string, options: { limit?: number } = {}): DocumentSearchHit[] {
    return this.documents.search(query, Math.max(1, Math.min(options.limit ?? 20, 200)));
  }

  // ---- export / import ----

  /** One conversation (pass its id) or all, with every branch, status and stat. */
  exportJson(conversationIds?: readonly string[]): ExportFile {
    const ids = conversationIds ?? this.s.allConversationIds.all();
    return exportConversations(this.db, ids, this.now());
  }

  importJson(data: unknown, options?: ImportOptions): ImportResult {
    const result = importConversations(this.db, data, options);
    this.wrote();
    return result;
  }

  /** The active path as Markdown, for reading or sharing; branches not on it are left out. */
  exportMarkdown(conversationId: string): string {
    return toMarkdown(this.getConversation(conversationId), this.getActivePath(conversationId));
  }

  // ---- internals ----

  /** Checkpoints and truncates the WAL, so deleted text is left in no file. */
  private purge(): DeleteResult {
    const [result] = this.db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[];
    return { purged: result?.busy === 0 };
  }

  private messageRow(id: string): MessageRow {
    const row = this.s.getMessage.get(id);
    if (!row) throw new NotFoundError("Message", id);
    return row;
  }

  private expectChange(result: Database.RunResult, what: string, id: string): void {
    if (result.changes === 0) throw new NotFoundError(what, id);
    this.wrote();
  }

  private wrote(): void {
    if (this.idleTimer) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => {
      // A checkpoint that fails (e.g. a full disk) is retried after the next write, and SQLite's
      // autocheckpoint still runs: nothing is lost by ignoring the error here.
      try {
        this.db.pragma("wal_checkpoint(PASSIVE)");
      } catch {}
    }, IDLE_CHECKPOINT_MS);
    this.idleTimer.unref();
  }

  private setActive(conversationId: string, parentId: string | null, childId: string): void {
    if (parentId === null) this.s.setActiveRoot.run(childId, conversationId);
    else this.s.setActiveChild.run(childId, parentId);
  }

  /** Runs inside the caller's transaction; the parent has been checked. */
  private insertActive(input: NewMessage & { parentId: string | null }): Message {
    const now = this.now();
    const message: Message = {
      id: randomUUID(),
      conversationId: input.conversationId,
      parentId: input.parentId,
      activeChildId: null,
      role: input.role,
      content: input.content,
      thought: "",
      status: input.status ?? "complete",
      error: input.error ?? null,
      createdAt: now,
      updatedAt: now,
      model: input.model ?? null,
      stats: input.stats ?? null,
    };
    this.s.insertMessage.run({
      ...message,
      stats: message.stats ? JSON.stringify(message.stats) : null,
      questionHash: message.role === "user" ? questionHash(message.content) : null,
    });
    this.setActive(message.conversationId, message.parentId, message.id);
    this.s.touch.run(now, message.conversationId);
    this.wrote();
    return message;
  }
}
