import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { ImportError, NotFoundError } from "./errors.js";
import { upgradeV1Span } from "./migrations.js";
import { toConversation, toMessage } from "./rows.js";
import type { ConversationRow, MessageRow } from "./rows.js";
import { questionHash } from "./text.js";
import { ROLES, STATUSES } from "./types.js";
import type { Conversation, DraftingInfo, JsonValue, Message, MessageStats, PathMessage } from "./types.js";

export const EXPORT_FORMAT = "reprise.conversations";
export const EXPORT_VERSION = 2;

export type ExportedMessage = Omit<Message, "conversationId">;

export interface ExportedConversation extends Conversation {
  /** Every message of every branch in creation order (so parents come before children). */
  messages: ExportedMessage[];
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
  // One transaction, so that the file is one consistent snapshot.
  const conversations = db.transaction(() =>
    ids.map((id) => {
      const row = getConversation.get(id);
      if (!row) throw new NotFoundError("Conversation", id);
      const messages = getMessages.all(id).map((m) => {
        const { conversationId: _omit, ...rest } = toMessage(m);
        return rest;
      });
      return { ...toConversation(row), messages };
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

function parseStats(v: unknown, path: string, version: number): MessageStats | null {
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
      if (version === 1) {
        return upgradeV1Span({
          sourceId: field(s, "sourceId", p, isString, "a string"),
          start: field(s, "start", p, isInteger, "an integer"),
          end: field(s, "end", p, isInteger, "an integer"),
          ...optional(s, "sourceStart", p, isInteger, "an integer"),
          ...optional(s, "sourceEnd", p, isInteger, "an integer"),
        });
      }
      return {
        sourceId: field(s, "sourceId", p, isString, "a string"),
        replyStartChar: field(s, "replyStartChar", p, isInteger, "an integer"),
        replyEndChar: field(s, "replyEndChar", p, isInteger, "an integer"),
        ...optional(s, "sourceStartToken", p, isInteger, "an integer"),
        ...optional(s, "sourceEndToken", p, isInteger, "an integer"),
      };
    }),
    ...optional(v, "drafting", path, isDrafting, "{on: true} or {on: false, reason}"),
    ...optional(v, "predictorMs", path, isFiniteNumber, "a number"),
    ...optional(v, "firstTokenMs", path, isFiniteNumber, "a number"),
    ...optional(v, "promptTokens", path, isInteger, "an integer"),
    ...optional(v, "truncatedTurns", path, isInteger, "an integer"),
  };
}

function parseMessage(v: unknown, path: string, version: number): ExportedMessage {
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
    stats: parseStats(v["stats"], `${path}.stats`, version),
  };
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
  // Version 1 files differ only in the field names of copied spans.
  const version = data["version"];
  if (version !== 1 && version !== EXPORT_VERSION) fail("$.version", `expected 1 or ${EXPORT_VERSION} (got ${String(version)})`);
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
      messages: messages.map((m, j) => parseMessage(m, `${path}.messages[${j}]`, version)),
    };
    checkTree(conversation, path);
    return conversation;
  });
}

/** The same conversation under fresh ids; copied spans that point into it follow their messages. */
function withNewIds(c: ExportedConversation): ExportedConversation {
  const ids = new Map(c.messages.map((m) => [m.id, randomUUID()]));
  const map = (id: string | null) => (id === null ? null : (ids.get(id) ?? id));
  return {
    ...c,
    id: randomUUID(),
    activeRootId: map(c.activeRootId),
    messages: c.messages.map((m) => ({
      ...m,
      id: map(m.id) as string,
      parentId: map(m.parentId),
      activeChildId: map(m.activeChildId),
      stats: m.stats && {
        ...m.stats,
        copiedSpans: m.stats.copiedSpans.map((s) => ({ ...s, sourceId: map(s.sourceId) as string })),
      },
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
        original.messages.some((m) => idsInThisFile.has(m.id) || messageExists.get(m.id) !== undefined);
      if (clash && options.onExisting === "skip") {
        result.skipped.push(original.id);
        continue;
      }
      const c = clash ? withNewIds(original) : original;
      for (const m of c.messages) idsInThisFile.add(m.id);
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
