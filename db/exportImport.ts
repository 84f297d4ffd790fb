import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { DocumentIndex } from "./documents.js";
import { ImportError, NotFoundError } from "./errors.js";
import { toConversation, toMessage } from "./rows.js";
import type { ConversationRow, MessageRow } from "./rows.js";
import { questionHash } from "./text.js";
import { ROLES, STATUSES } from "./types.js";
import type { Conversation, DraftingInfo, JsonValue, Message, MessageStats, PathMessage } from "./types.js";

export const EXPORT_FORMAT = "reprise.conversations";
export const EXPORT_VERSION = 1;

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

type Json = { [key: string]: unknown };

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function fail(path: string, problem: string): never {
  throw new ImportError(`Invalid export file at ${path}: ${problem}`);
}

function field<T>(obj: Json, key: string, path: string, check: (v: unknown) => v is T, expected: string): T {
  const v = obj[key];
  if (!check(v)) fail(`${path}.${key}`, `expected ${expected}, got ${JSON.stringify(v) ?? "nothing"}`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === "string";
const isNullableString = (v: unknown): v is string | null => v === null || typeof v === "string";
const isInteger = (v: unknown): v is number => Number.isSafeInteger(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isBoolean = (v: unknown): v is boolean => typeof v === "boolean";
const isJson = (v: unknown): v is JsonValue =>
  v === null ||
  typeof v === "string" ||
  typeof v === "boolean" ||
  isFiniteNumber(v) ||
  (Array.isArray(v) && v.every(isJson)) ||
  (isObject(v) && Object.values(v).every(isJson));
const isSettings = (v: unknown): v is { [key: string]: JsonValue } => isObject(v) && isJson(v);
const oneOf =
  <T extends string>(values: readonly T[]) =>
  (v: unknown): v is T =>
    values.includes(v as T);

/** An optional field: absent stays absent (stats written before the field existed), present must check. */
function optional<T>(obj: Json, key: string, path: string, check: (v: unknown) => v is T, expected: string): { [k: string]: T } {
  return obj[key] === undefined ? {} : { [key]: field(obj, key, path, check, expected) };
}

const isDrafting = (v: unknown): v is DraftingInfo =>
  isObject(v) && (v["on"] === true ? Object.keys(v).length === 1 : v["on"] === false && isString(v["reason"]));

function parseStats(v: unknown, path: string): MessageStats | null {
  if (v === null) return null;
  if (!isObject(v)) fail(path, "expected an object or null");
  const spans = field(v, "copiedSpans", path, Array.isArray, "an array");
  return {
    tokens: field(v, "tokens", path, isFiniteNumber, "a number"),
    forwardPasses: field(v, "forwardPasses", path, isFiniteNumber, "a number"),
    drafted: field(v, "drafted", path, isFiniteNumber, "a number"),
    accepted: field(v, "accepted", path, isFiniteNumber, "a number"),
    ms: field(v, "ms", path, isFiniteNumber, "a number"),
    tokensPerSecond: field(v, "tokensPerSecond", path, isFiniteNumber, "a number"),
    copiedSpans: spans.map((s, i) => {
      const p = `${path}.copiedSpans[${i}]`;
      if (!isObject(s)) fail(p, "expected an object");
      return {
        sourceId: field(s, "sourceId", p, isString, "a string"),
        start: field(s, "start", p, isInteger, "an integer"),
        end: field(s, "end", p, isInteger, "an integer"),
        ...optional(s, "sourceStart", p, isInteger, "an integer"),
        ...optional(s, "sourceEnd", p, isInteger, "an integer"),
        ...optional(s, "sourceCharStart", p, isInteger, "an integer"),
        ...optional(s, "sourceCharEnd", p, isInteger, "an integer"),
      };
    }),
    ...optional(v, "drafting", path, isDrafting, "{on: true} or {on: false, reason}"),
    ...optional(v, "predictorMs", path, isFiniteNumber, "a number"),
    ...optional(v, "firstTokenMs", path, isFiniteNumber, "a number"),
    ...optional(v, "promptTokens", path, isInteger, "an integer"),
    ...optional(v, "truncatedTurns", path, isInteger, "an integer"),
    ...optional(v, "passages", path, isInteger, "an integer"),
    ...optional(v, "passagesCut", path, isInteger, "an integer"),
  };
}

function parseMessage(v: unknown, path: string): ExportedMessage {
  if (!isObject(v)) fail(path, "expected an object");
  return {
    id: field(v, "id", path, isString, "a string"),
    parentId: field(v, "parentId", path, isNullableString, "a string or null"),
    activeChildId: field(v, "activeChildId", path, isNullableString, "a string or null"),
    role: field(v, "role", path, oneOf(ROLES), ROLES.join(" | ")),
    content: field(v, "content", path, isString, "a string"),
    status: field(v, "status", path, oneOf(STATUSES), STATUSES.join(" | ")),
    error: field(v, "error", path, isNullableString, "a string or null"),
    createdAt: field(v, "createdAt", path, isInteger, "a time in ms"),
    updatedAt: field(v, "updatedAt", path, isInteger, "a time in ms"),
    model: field(v, "model", path, isNullableString, "a string or null"),
    stats: parseStats(v["stats"], `${path}.stats`),
    ...(v["sources"] === undefined ? {} : { sources: parseSources(v["sources"], `${path}.sources`) }),
  };
}

function parseSources(v: unknown, path: string): ExportedSource[] {
  if (!Array.isArray(v)) fail(path, "expected an array");
  return v.map((s, i) => {
    const p = `${path}[${i}]`;
    if (!isObject(s)) fail(p, "expected an object");
    const source = {
      n: field(s, "n", p, isInteger, "an integer"),
      documentId: field(s, "documentId", p, isString, "a string"),
      startChar: field(s, "startChar", p, isInteger, "an integer"),
      endChar: field(s, "endChar", p, isInteger, "an integer"),
    };
    if (source.n !== i + 1) fail(`${p}.n`, `expected ${i + 1}: sources are numbered from 1 in order`);
    if (source.startChar < 0 || source.endChar < source.startChar) fail(p, "expected 0 <= startChar <= endChar");
    return source;
  });
}

function parseDocument(v: unknown, path: string): ExportedDocument {
  if (!isObject(v)) fail(path, "expected an object");
  return {
    id: field(v, "id", path, isString, "a string"),
    name: field(v, "name", path, isString, "a string"),
    mediaType: field(v, "mediaType", path, isString, "a string"),
    bytes: field(v, "bytes", path, isInteger, "an integer"),
    createdAt: field(v, "createdAt", path, isInteger, "a time in ms"),
    text: field(v, "text", path, isString, "a string"),
  };
}

/** Every source must point into a document of the same conversation, inside its text. */
function checkSources(c: ExportedConversation, path: string): void {
  const lengths = new Map((c.documents ?? []).map((d) => [d.id, d.text.length]));
  if (lengths.size !== (c.documents ?? []).length) fail(path, "a document id appears twice");
  for (const m of c.messages) {
    if (m.sources && m.sources.length > 0 && m.role !== "user") fail(path, `message ${m.id} has sources but is not a user message`);
    for (const s of m.sources ?? []) {
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
  if (!isObject(data)) fail("$", "expected an object");
  if (data["format"] !== EXPORT_FORMAT) fail("$.format", `expected "${EXPORT_FORMAT}"`);
  if (data["version"] !== EXPORT_VERSION) fail("$.version", `expected ${EXPORT_VERSION} (got ${String(data["version"])})`);
  const list = field(data, "conversations", "$", Array.isArray, "an array");
  return list.map((v, i) => {
    const path = `$.conversations[${i}]`;
    if (!isObject(v)) fail(path, "expected an object");
    const messages = field(v, "messages", path, Array.isArray, "an array");
    const conversation: ExportedConversation = {
      id: field(v, "id", path, isString, "a string"),
      title: field(v, "title", path, isString, "a string"),
      createdAt: field(v, "createdAt", path, isInteger, "a time in ms"),
      updatedAt: field(v, "updatedAt", path, isInteger, "a time in ms"),
      model: field(v, "model", path, isNullableString, "a string or null"),
      settings: field(v, "settings", path, isSettings, "a JSON object"),
      pinned: field(v, "pinned", path, isBoolean, "a boolean"),
      activeRootId: field(v, "activeRootId", path, isNullableString, "a string or null"),
      messages: messages.map((m, j) => parseMessage(m, `${path}.messages[${j}]`)),
      ...(v["documents"] === undefined
        ? {}
        : { documents: field(v, "documents", path, Array.isArray, "an array").map((d, j) => parseDocument(d, `${path}.documents[${j}]`)) }),
    };
    checkTree(conversation, path);
    checkSources(conversation, path);
    return conversation;
  });
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
    `INSERT INTO messages (id, conversation_id, parent_id, active_child_id, role, content, status, error,
                           created_at, updated_at, model, stats, question_hash)
     VALUES (@id, @conversationId, @parentId, @activeChildId, @role, @content, @status, @error,
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
  const turns = path.map((m) => `## ${ROLE_HEADINGS[m.role]}\n\n${describe(m)}${m.content}`);
  return `${[header, ...turns].join("\n\n")}\n`;
}
