import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { APPLICATION_ID, LATEST_VERSION, MIGRATIONS, migrate, schemaVersion } from "../../db/migrations.js";
import type { Migration } from "../../db/migrations.js";
import { openStore, tempDbPath } from "./helpers.js";

// The schema as the migrations build it. A change here must come with a new migration that turns the
// previous schema into this one (existing users' files only ever run the migrations they lack).
const FROZEN_SCHEMA = [
  "index conversations_by_activity: CREATE INDEX conversations_by_activity ON conversations (pinned DESC, updated_at DESC, id DESC)",
  "index documents_by_conversation: CREATE INDEX documents_by_conversation ON documents (conversation_id, seq)",
  "index message_sources_by_document: CREATE INDEX message_sources_by_document ON message_sources (document_id)",
  "index messages_by_conversation: CREATE INDEX messages_by_conversation ON messages (conversation_id, seq)",
  "index messages_by_parent: CREATE INDEX messages_by_parent ON messages (parent_id)",
  "index messages_by_question_hash: CREATE INDEX messages_by_question_hash ON messages (question_hash) WHERE question_hash IS NOT NULL",
  "index messages_streaming: CREATE INDEX messages_streaming ON messages (id) WHERE status = 'streaming'",
  "index sqlite_autoindex_conversations_1: ",
  "index sqlite_autoindex_document_chunks_1: ",
  "index sqlite_autoindex_documents_1: ",
  "index sqlite_autoindex_messages_1: ",
  "table conversations: CREATE TABLE conversations ( id TEXT PRIMARY KEY NOT NULL, title TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, model TEXT, settings TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings) AND json_type(settings) = 'object'), pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)), active_root_id TEXT ) STRICT",
  "table document_chunks: CREATE TABLE document_chunks ( seq INTEGER PRIMARY KEY, document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE, ord INTEGER NOT NULL, start_char INTEGER NOT NULL, end_char INTEGER NOT NULL, content TEXT NOT NULL, UNIQUE (document_id, ord) ) STRICT",
  "table document_chunks_fts: CREATE VIRTUAL TABLE document_chunks_fts USING fts5 ( content, content = 'document_chunks', content_rowid = 'seq', tokenize = 'porter unicode61 remove_diacritics 2' )",
  "table document_chunks_fts_config: CREATE TABLE 'document_chunks_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID",
  "table document_chunks_fts_data: CREATE TABLE 'document_chunks_fts_data'(id INTEGER PRIMARY KEY, block BLOB)",
  "table document_chunks_fts_docsize: CREATE TABLE 'document_chunks_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB)",
  "table document_chunks_fts_idx: CREATE TABLE 'document_chunks_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID",
  "table document_tokens: CREATE TABLE document_tokens ( document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE, model_id TEXT NOT NULL, tokens BLOB NOT NULL, PRIMARY KEY (document_id, model_id) ) STRICT, WITHOUT ROWID",
  "table documents: CREATE TABLE documents ( seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE, name TEXT NOT NULL, media_type TEXT NOT NULL, bytes INTEGER NOT NULL, chars INTEGER NOT NULL, created_at INTEGER NOT NULL ) STRICT",
  "table message_sources: CREATE TABLE message_sources ( message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE, n INTEGER NOT NULL, document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE, start_char INTEGER NOT NULL, end_char INTEGER NOT NULL, PRIMARY KEY (message_id, n) ) STRICT, WITHOUT ROWID",
  "table message_tokens: CREATE TABLE message_tokens ( message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE, model_id TEXT NOT NULL, tokens BLOB NOT NULL, PRIMARY KEY (message_id, model_id) ) STRICT, WITHOUT ROWID",
  "table messages: CREATE TABLE messages ( seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE, parent_id TEXT REFERENCES messages (id) ON DELETE CASCADE, active_child_id TEXT, role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')), content TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('complete', 'streaming', 'interrupted', 'error')), error TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, model TEXT, stats TEXT CHECK (stats IS NULL OR json_valid(stats)), question_hash INTEGER , thought TEXT NOT NULL DEFAULT '') STRICT",
  "table messages_fts: CREATE VIRTUAL TABLE messages_fts USING fts5 ( content, content = 'messages', content_rowid = 'seq', tokenize = 'porter unicode61 remove_diacritics 2' )",
  "table messages_fts_config: CREATE TABLE 'messages_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID",
  "table messages_fts_data: CREATE TABLE 'messages_fts_data'(id INTEGER PRIMARY KEY, block BLOB)",
  "table messages_fts_docsize: CREATE TABLE 'messages_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB)",
  "table messages_fts_idx: CREATE TABLE 'messages_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID",
  "table questions_fts: CREATE VIRTUAL TABLE questions_fts USING fts5 ( content, content = 'messages', content_rowid = 'seq', tokenize = 'porter unicode61 remove_diacritics 2' )",
  "table questions_fts_config: CREATE TABLE 'questions_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID",
  "table questions_fts_data: CREATE TABLE 'questions_fts_data'(id INTEGER PRIMARY KEY, block BLOB)",
  "table questions_fts_docsize: CREATE TABLE 'questions_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB)",
  "table questions_fts_idx: CREATE TABLE 'questions_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID",
  "trigger document_chunks_fts_delete: CREATE TRIGGER document_chunks_fts_delete AFTER DELETE ON document_chunks BEGIN INSERT INTO document_chunks_fts (document_chunks_fts, rowid, content) VALUES ('delete', old.seq, old.content); END",
  "trigger document_chunks_fts_insert: CREATE TRIGGER document_chunks_fts_insert AFTER INSERT ON document_chunks BEGIN INSERT INTO document_chunks_fts (rowid, content) VALUES (new.seq, new.content); END",
  "trigger message_tokens_stale: CREATE TRIGGER message_tokens_stale AFTER UPDATE OF content ON messages WHEN old.content IS NOT new.content BEGIN DELETE FROM message_tokens WHERE message_id = new.id; END",
  "trigger messages_fts_delete: CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN INSERT INTO messages_fts (messages_fts, rowid, content) SELECT 'delete', old.seq, old.content WHERE old.status <> 'streaming'; INSERT INTO questions_fts (questions_fts, rowid, content) SELECT 'delete', old.seq, old.content WHERE old.status <> 'streaming' AND old.role = 'user'; END",
  "trigger messages_fts_insert: CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN INSERT INTO messages_fts (rowid, content) SELECT new.seq, new.content WHERE new.status <> 'streaming'; INSERT INTO questions_fts (rowid, content) SELECT new.seq, new.content WHERE new.status <> 'streaming' AND new.role = 'user'; END",
  "trigger messages_fts_update: CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, status, role ON messages WHEN old.status <> 'streaming' OR new.status <> 'streaming' BEGIN INSERT INTO messages_fts (messages_fts, rowid, content) SELECT 'delete', old.seq, old.content WHERE old.status <> 'streaming'; INSERT INTO questions_fts (questions_fts, rowid, content) SELECT 'delete', old.seq, old.content WHERE old.status <> 'streaming' AND old.role = 'user'; INSERT INTO messages_fts (rowid, content) SELECT new.seq, new.content WHERE new.status <> 'streaming'; INSERT INTO questions_fts (rowid, content) SELECT new.seq, new.content WHERE new.status <> 'streaming' AND new.role = 'user'; END",
];

function schemaOf(db: Database.Database): string[] {
  const rows = db.prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name").all() as {
    type: string;
    name: string;
    sql: string | null;
  }[];
  return rows.map((r) => `${r.type} ${r.name}: ${(r.sql ?? "").replace(/\s+/g, " ").trim()}`);
}

describe("migrations", () => {
  it("build the frozen schema, with FTS5 secure-delete on and the Reprise application id", () => {
    const db = new Database(":memory:");
    expect(migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(schemaOf(db)).toEqual(FROZEN_SCHEMA);
    for (const fts of ["messages_fts", "questions_fts", "document_chunks_fts"]) {
      expect(db.prepare(`SELECT v FROM ${fts}_config WHERE k = 'secure-delete'`).pluck().get()).toBe(1);
    }
    expect(db.pragma("application_id", { simple: true })).toBe(APPLICATION_ID);
    expect(schemaVersion(db)).toBe(LATEST_VERSION);
    db.close();
  });

  it("a store file on disk has the frozen schema at the latest version", () => {
    const path = tempDbPath();
    openStore(path).close();
    const db = new Database(path, { readonly: true });
    expect(schemaOf(db)).toEqual(FROZEN_SCHEMA);
    expect(schemaVersion(db)).toBe(LATEST_VERSION);
    db.close();
  });

  it("run only the migrations a database lacks", () => {
    const db = new Database(":memory:");
    const log: string[] = [];
    const steps: Migration[] = [
      { version: 1, description: "a", up: (d) => (d.exec("CREATE TABLE a (x)"), log.push("a")) },
      { version: 2, description: "b", up: (d) => (d.exec("CREATE TABLE b (x)"), log.push("b")) },
    ];
    expect(migrate(db, steps.slice(0, 1))).toEqual([1]);
    db.exec("INSERT INTO a VALUES (42)");
    expect(migrate(db, steps)).toEqual([2]);
    expect(migrate(db, steps)).toEqual([]);
    expect(log).toEqual(["a", "b"]);
    expect(schemaVersion(db)).toBe(2);
    expect(db.prepare("SELECT x FROM a").pluck().get()).toBe(42);
    db.close();
  });

  it("roll a failing migration back entirely, version included", () => {
    const db = new Database(":memory:");
    const steps: Migration[] = [
      { version: 1, description: "ok", up: (d) => d.exec("CREATE TABLE a (x)") },
      {
        version: 2,
        description: "fails halfway",
        up: (d) => {
          d.exec("CREATE TABLE b (x); INSERT INTO a VALUES (1);");
          throw new Error("boom");
        },
      },
    ];
    expect(() => migrate(db, steps)).toThrow("boom");
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'b'").pluck().get()).toBe(0);
    expect(db.prepare("SELECT count(*) FROM a").pluck().get()).toBe(0);
    db.close();
  });

  it("must be numbered 1, 2, 3… without gaps", () => {
    const db = new Database(":memory:");
    const gap: Migration[] = [
      { version: 1, description: "a", up: () => {} },
      { version: 3, description: "c", up: () => {} },
    ];
    expect(() => migrate(db, gap)).toThrow(/version 3; expected 2/);
    expect(schemaVersion(db)).toBe(0);
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    db.close();
  });

  it("version 2 renames the copied spans of stats stored at version 1, keeping every value", () => {
    const db = new Database(":memory:");
    migrate(db, MIGRATIONS.slice(0, 1));
    const v1Stats = {
      tokens: 9,
      forwardPasses: 4,
      drafted: 6,
      accepted: 5,
      ms: 80,
      tokensPerSecond: 112.5,
      copiedSpans: [
        { sourceId: "q", start: 0, end: 12 },
        { sourceId: "a", start: 12, end: 30, sourceStart: 7, sourceEnd: 11 },
      ],
      promptTokens: 40,
    };
    db.exec(`INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c', 't', 1, 1)`);
    const insert = db.prepare(
      `INSERT INTO messages (id, conversation_id, role, content, status, created_at, updated_at, stats)
       VALUES (?, 'c', 'assistant', 'text', 'complete', 1, 1, ?)`,
    );
    insert.run("with-stats", JSON.stringify(v1Stats));
    insert.run("without-stats", null);
    expect(migrate(db, MIGRATIONS.slice(0, 2))).toEqual([2]);
    const stored = (id: string) => db.prepare("SELECT stats FROM messages WHERE id = ?").pluck().get(id) as string | null;
    expect(JSON.parse(stored("with-stats")!)).toEqual({
      ...v1Stats,
      copiedSpans: [
        { sourceId: "q", replyStartChar: 0, replyEndChar: 12 },
        { sourceId: "a", replyStartChar: 12, replyEndChar: 30, sourceStartToken: 7, sourceEndToken: 11 },
      ],
    });
    expect(stored("without-stats")).toBeNull();
    db.close();
  });
});
