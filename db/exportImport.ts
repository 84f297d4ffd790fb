import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { idSchema } from "../electron/api/contract";
import { DocumentIndex } from "./documents.js";
import { ImportError, NotFoundError } from "./errors.js";
import { upgradeV1Span } from "./migrations.js";
import { toConversation, toMessage } from "./rows.js";
import type { ConversationRow, MessageRow } from "./rows.js";
import { questionHash } from "./text.js";
import {
  anyOf,
  array,
  boolean,
  jsonObject,
  literal,
  nullable,
  number,
  object,
  oneOf,
  optional,
  string,
  transform,
  ValidationError,
  type Schema,
} from "../electron/api/schema.js";
import { ROLES, STATUSES } from "./types.js";
import type { Conversation, CopiedSpan, DraftingInfo, Message, MessageStats, PathMessage } from "./types.js";

export const EXPORT_FORMAT = "reprise.conversations";
export const EXPORT_VERSION = 2;

/** Where a question's source [n] is in one of the conversation's documents. */
export interface ExportedSource {
  n: number;
  documentId: string;
  startChar: number;
  endChar: number;
}

export type ExportedMessage = Omit<Message, "conversationId"> & {
  /** The passages its prompt held (user messages only); absent in files written before documents. */
  sources?: ExportedSource[];
};

/** An attached document with the text taken out of it (the file itself is not kept). */
export interface ExportedDocument {
  id: string;
  name: string;
  mediaType: string;
  bytes: number;
  createdAt: number;
  text: string;
}

export interface ExportedConversation extends Conversation {
  /** Every message of every branch in creation order (so parents come before children). */
  messages: ExportedMessage[];
  /** Absent when it has none (and in files written before documents). */
  documents?: ExportedDocument[];
}

export interface ExportFile {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  exportedAt: number;
  conversations: ExportedConversation[];
}

export interface ImportOptions {
  /**
   * When a conversation (or one of its message ids) already exists: "copy" (default) imports it
   * again under new ids, "skip" leaves it out.
   */
  onExisting?: "copy" | "skip";
}

export interface ImportResult {
  /** Id in the file → id in the store (different when copied under new ids). */
  imported: { sourceId: string; id: string }[];
  skipped: string[];
}

export function exportConversations(db: Database.Database, ids: readonly string[], now: number): ExportFile {
  const getConversation = db.prepare<[string], ConversationRow>("SELECT * FROM conversations WHERE id = ?");
  const getMessages = db.prepare<[string], MessageRow>("SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq");
  const getDocuments = db.prepare<[string], { id: string; name: string; media_type: string; bytes: number; created_at: number }>(
    "SELECT id, name, media_type, bytes, created_at FROM documents WHERE conversation_id = ? ORDER BY seq",
  );
  const getText = db
    .prepare<[string], string>("SELECT group_concat(content, '') FROM (SELECT content FROM document_chunks WHERE document_id = ? ORDER BY ord)")
    .pluck();
  const getSources = db.prepare<[string], { n: number; document_id: string; start_char: number; end_char: number }>(
    "SELECT n, document_id, start_char, end_char FROM message_sources WHERE message_id = ? ORDER BY n",
  );
  // One transaction, so that the file is one consistent snapshot.
  const conversations = db.transaction(() =>
    ids.map((id) => {
      const row = getConversation.get(id);
      if (!row) throw new NotFoundError("Conversation", id);
      const messages = getMessages.all(id).map((m): ExportedMessage => {
        const { conversationId: _omit, ...rest } = toMessage(m);
        const sources = getSources
          .all(m.id)
          .map((r) => ({ n: r.n, documentId: r.document_id, startChar: r.start_char, endChar: r.end_char }));
        return sources.length > 0 ? { ...rest, sources } : rest;
      });
      const documents = getDocuments.all(id).map((d) => ({
        id: d.id,
        name: d.name,
        mediaType: d.media_type,
        bytes: d.bytes,
        createdAt: d.created_at,
        text: getText.get(d.id) ?? "",
      }));
      return { ...toConversation(row), messages, ...(documents.length > 0 ? { documents } : {}) };
    }),
  )();
  return { format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt: now, conversations };
}

// ---- validation: the file comes from outside and is checked field by field ----

const count = number({ min: 0 });
const integer = number({ integer: true });
const time = number({ integer: true, min: 0 });

const copiedSpan: Schema<CopiedSpan> = object({
  sourceId: string(),
  replyStartChar: integer,
  replyEndChar: integer,
  sourceStartToken: optional(integer),
  sourceEndToken: optional(integer),
  sourceStartChar: optional(integer),
  sourceEndChar: optional(integer),
});
/** Version 1 files named a span's offsets start/end and sourceStart/sourceEnd. */
const v1CopiedSpan: Schema<CopiedSpan> = transform(
  object({ sourceId: string(), start: integer, end: integer, sourceStart: optional(integer), sourceEnd: optional(integer) }),
  upgradeV1Span,
);

const drafting: Schema<DraftingInfo> = anyOf(object({ on: literal(true) }), object({ on: literal(false), reason: string() }));

/** A file of this version, its copied spans read by `span`. */
function exportFile(version: 1 | 2, span: Schema<CopiedSpan>): Schema<ExportedConversation[]> {
  const stats: Schema<MessageStats> = object({
    tokens: count,
    forwardPasses: count,
    drafted: count,
    accepted: count,
    ms: count,
    tokensPerSecond: count,
    copiedSpans: array(span),
    // Absent in stats stored before they were recorded.
    drafting: optional(drafting),
    predictorMs: optional(count),
    firstTokenMs: optional(count),
    promptTokens: optional(integer),
    truncatedTurns: optional(integer),
    speedup: optional(nullable(count)),
    sampling: optional(object({ temperature: count, topK: count, topP: count, minP: count })),
    passages: optional(integer),
    passagesCut: optional(integer),
  });
  const source: Schema<ExportedSource> = object({ n: integer, documentId: idSchema, startChar: count, endChar: count });
  const document: Schema<ExportedDocument> = object({
    id: idSchema,
    name: string(),
    mediaType: string(),
    bytes: count,
    createdAt: time,
    text: string(),
  });
  // Ids as the API's own rules have them, so that what is imported can be named by the API again.
  const message: Schema<ExportedMessage> = object({
    id: idSchema,
    parentId: nullable(idSchema),
    activeChildId: nullable(idSchema),
    role: oneOf(ROLES),
    content: string(),
    // Files written before thoughts were kept have none.
    thought: transform(optional(string()), (thought) => thought ?? ""),
    status: oneOf(STATUSES),
    error: nullable(string()),
    createdAt: time,
    updatedAt: time,
    model: nullable(string()),
    stats: nullable(stats),
    // The passages its prompt held: user messages only, absent in files written before documents.
    sources: optional(array(source)),
  });
  const conversation: Schema<ExportedConversation> = object({
    id: idSchema,
    title: string(),
    createdAt: time,
    updatedAt: time,
    model: nullable(string()),
    settings: jsonObject(),
    pinned: boolean(),
    activeRootId: nullable(idSchema),
    messages: array(message),
    documents: optional(array(document)),
  });
  return transform(
    object({ format: literal(EXPORT_FORMAT), version: literal(version), exportedAt: number(), conversations: array(conversation) }),
    (file) => file.conversations,
  );
}

const fileVersions = new Map<unknown, Schema<ExportedConversation[]>>([
  [1, exportFile(1, v1CopiedSpan)],
  [EXPORT_VERSION, exportFile(EXPORT_VERSION, copiedSpan)],
]);

function fail(path: string, problem: string): never {
  throw new ImportError(`Invalid export file at ${path}: ${problem}`);
}

/** Every source must point into a document of the same conversation, inside its text, numbered from 1. */
function checkSources(c: ExportedConversation, path: string): void {
  const lengths = new Map((c.documents ?? []).map((d) => [d.id, d.text.length]));
  if (lengths.size !== (c.documents ?? []).length) fail(path, "a document id appears twice");
  for (const m of c.messages) {
    if (m.sources && m.sources.length > 0 && m.role !== "user") fail(path, `message ${m.id} has sources but is not a user message`);
    for (const [i, s] of (m.sources ?? []).entries()) {
      if (s.n !== i + 1) fail(path, `source ${i + 1} of message ${m.id} is numbered ${s.n}: sources are numbered from 1 in order`);
      if (s.endChar < s.startChar) fail(path, `a source of message ${m.id} ends before it starts`);
      const length = lengths.get(s.documentId);
      if (length === undefined) fail(path, `a source of message ${m.id} names document ${s.documentId}, which is not in the conversation`);
      if (s.endChar > length) fail(path, `a source of message ${m.id} ends past the text of document ${s.documentId}`);
    }
  }
}

/**
 * Checks the tree. Parents must come before their children (exports list messages in creation order),
 * which also rules out cycles and keeps sibling order through a round trip.
 */
function checkTree(c: ExportedConversation, path: string): void {
  const children = new Map<string | null, Set<string>>([[null, new Set()]]);
  for (const m of c.messages) {
    if (children.has(m.id)) fail(path, `message id ${m.id} appears twice`);
    const siblings = children.get(m.parentId);
    if (!siblings) fail(path, `message ${m.id} comes before its parent ${m.parentId} or that parent is missing`);
    siblings.add(m.id);
    children.set(m.id, new Set());
  }
  if (c.activeRootId !== null && !children.get(null)?.has(c.activeRootId)) {
    fail(path, `activeRootId ${c.activeRootId} is not a root message`);
  }
  for (const m of c.messages) {
    if (m.activeChildId !== null && !children.get(m.id)?.has(m.activeChildId)) {
      fail(path, `activeChildId of ${m.id} is not one of its children`);
    }
  }
}

function parseFile(data: unknown): ExportedConversation[] {
  const version = (data as { version?: unknown } | null)?.version;
  // Any other version is judged as the current one, which names what is wrong with it.
  const schema = fileVersions.get(version) ?? fileVersions.get(EXPORT_VERSION)!;
  let conversations: ExportedConversation[];
  try {
    conversations = schema.parse(data, { path: "$" });
  } catch (error) {
    if (error instanceof ValidationError) fail(error.path, error.problem);
    throw error;
  }
  conversations.forEach((c, i) => {
    checkTree(c, `$.conversations[${i}]`);
    checkSources(c, `$.conversations[${i}]`);
  });
  return conversations;
}

/** The same conversation under fresh ids; copied spans and sources that point into it follow their messages and documents. */
function withNewIds(c: ExportedConversation): ExportedConversation {
  const ids = new Map([...c.messages, ...(c.documents ?? [])].map((m) => [m.id, randomUUID()]));
  const map = (id: string | null) => (id === null ? null : (ids.get(id) ?? id));
  return {
    ...c,
    id: randomUUID(),
    activeRootId: map(c.activeRootId),
    documents: c.documents?.map((d) => ({ ...d, id: map(d.id) as string })),
    messages: c.messages.map((m) => ({
      ...m,
      id: map(m.id) as string,
      parentId: map(m.parentId),
      activeChildId: map(m.activeChildId),
      stats: m.stats && {
        ...m.stats,
        copiedSpans: m.stats.copiedSpans.map((s) => ({ ...s, sourceId: map(s.sourceId) as string })),
      },
      sources: m.sources?.map((s) => ({ ...s, documentId: map(s.documentId) as string })),
    })),
  };
}

/**
 * Imports an export file (all conversations or none: one transaction). A message that was streaming
 * when exported arrives as "interrupted": nothing is generating it any more.
 */
export function importConversations(db: Database.Database, data: unknown, options: ImportOptions = {}): ImportResult {
  const conversations = parseFile(data);
  const conversationExists = db.prepare("SELECT 1 FROM conversations WHERE id = ?").pluck();
  const messageExists = db.prepare("SELECT 1 FROM messages WHERE id = ?").pluck();
  const documentExists = db.prepare("SELECT 1 FROM documents WHERE id = ?").pluck();
  const documents = new DocumentIndex(db);
  const insertConversation = db.prepare(
    `INSERT INTO conversations (id, title, created_at, updated_at, model, settings, pinned, active_root_id)
     VALUES (@id, @title, @createdAt, @updatedAt, @model, @settings, @pinned, @activeRootId)`,
  );
  const insertMessage = db.prepare(
    `INSERT INTO messages (id, conversation_id, parent_id, active_child_id, role, content, thought, status, error,
                           created_at, updated_at, model, stats, question_hash)
     VALUES (@id, @conversationId, @parentId, @activeChildId, @role, @content, @thought, @status, @error,
             @createdAt, @updatedAt, @model, @stats, @questionHash)`,
  );

  return db.transaction(() => {
    const result: ImportResult = { imported: [], skipped: [] };
    const idsInThisFile = new Set<string>();
    for (const original of conversations) {
      const clash =
        conversationExists.get(original.id) !== undefined ||
        original.messages.some((m) => idsInThisFile.has(m.id) || messageExists.get(m.id) !== undefined) ||
        (original.documents ?? []).some((d) => idsInThisFile.has(d.id) || documentExists.get(d.id) !== undefined);
      if (clash && options.onExisting === "skip") {
        result.skipped.push(original.id);
        continue;
      }
      const c = clash ? withNewIds(original) : original;
      for (const x of [...c.messages, ...(c.documents ?? [])]) idsInThisFile.add(x.id);
      insertConversation.run({
        ...c,
        settings: JSON.stringify(c.settings),
        pinned: c.pinned ? 1 : 0,
      });
      for (const m of c.messages) {
        insertMessage.run({
          ...m,
          conversationId: c.id,
          status: m.status === "streaming" ? "interrupted" : m.status,
          stats: m.stats ? JSON.stringify(m.stats) : null,
          questionHash: m.role === "user" ? questionHash(m.content) : null,
        });
      }
      for (const d of c.documents ?? []) documents.add({ ...d, conversationId: c.id });
      for (const m of c.messages) if (m.sources) documents.setSources(m.id, m.sources);
      result.imported.push({ sourceId: original.id, id: c.id });
    }
    return result;
  })();
}

// ---- Markdown ----

const ROLE_HEADINGS = { system: "System", user: "User", assistant: "Assistant" } as const;

function describe(m: PathMessage): string {
  const parts: string[] = [];
  if (m.siblingIds.length > 1) parts.push(`branch ${m.siblingIds.indexOf(m.id) + 1} of ${m.siblingIds.length}`);
  if (m.model) parts.push(m.model);
  const s = m.stats;
  if (s) {
    parts.push(`${s.tokens} tokens in ${(s.ms / 1000).toFixed(1)} s (${s.tokensPerSecond.toFixed(1)} tokens/s)`);
    if (s.drafted > 0) parts.push(`${s.accepted} of ${s.drafted} drafted tokens accepted`);
  }
  if (m.status === "interrupted") parts.push("interrupted");
  if (m.status === "streaming") parts.push("still being written");
  if (m.status === "error") parts.push(`error: ${m.error ?? "unknown"}`);
  return parts.length > 0 ? `_${parts.join(" · ")}_\n\n` : "";
}

export function toMarkdown(c: Conversation, path: readonly PathMessage[]): string {
  const header = [
    `# ${c.title}`,
    "",
    `- Created: ${new Date(c.createdAt).toISOString()}`,
    `- Last activity: ${new Date(c.updatedAt).toISOString()}`,
    ...(c.model ? [`- Model: ${c.model}`] : []),
  ].join("\n");
  // A thought is set apart as a quote, which a reader can skip.
  const thought = (m: PathMessage) => (m.thought ? `${m.thought.replace(/^/gm, "> ")}\n\n` : "");
  const turns = path.map((m) => `## ${ROLE_HEADINGS[m.role]}\n\n${describe(m)}${thought(m)}${m.content}`);
  return `${[header, ...turns].join("\n\n")}\n`;
}
