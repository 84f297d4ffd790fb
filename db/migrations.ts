import type Database from "better-sqlite3";
import type { CopiedSpan } from "./types.js";

export interface Migration {
  /** 1-based and contiguous: after migration n has run, PRAGMA user_version is n. */
  version: number;
  description: string;
  up: (db: Database.Database) => void;
}

// Only messages that are not streaming are indexed, so that a streaming update is one row write
// and never an FTS delete+insert of the whole text so far.
const INDEXED = (m: "new" | "old") => `${m}.status <> 'streaming'`;
const QUESTION = (m: "new" | "old") => `${m}.status <> 'streaming' AND ${m}.role = 'user'`;

const V1_SCHEMA = `
CREATE TABLE conversations (
  id TEXT PRIMARY KEY NOT NULL,
  title TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  model TEXT,
  settings TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings) AND json_type(settings) = 'object'),
  pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
  active_root_id TEXT
) STRICT;

CREATE INDEX conversations_by_activity ON conversations (pinned DESC, updated_at DESC, id DESC);

CREATE TABLE messages (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  parent_id TEXT REFERENCES messages (id) ON DELETE CASCADE,
  active_child_id TEXT,
  role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
  content TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('complete', 'streaming', 'interrupted', 'error')),
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  model TEXT,
  stats TEXT CHECK (stats IS NULL OR json_valid(stats)),
  question_hash INTEGER
) STRICT;

CREATE INDEX messages_by_conversation ON messages (conversation_id, seq);
CREATE INDEX messages_by_parent ON messages (parent_id);
CREATE INDEX messages_streaming ON messages (id) WHERE status = 'streaming';
CREATE INDEX messages_by_question_hash ON messages (question_hash) WHERE question_hash IS NOT NULL;

CREATE TABLE message_tokens (
  message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  model_id TEXT NOT NULL,
  tokens BLOB NOT NULL,
  PRIMARY KEY (message_id, model_id)
) STRICT, WITHOUT ROWID;

CREATE VIRTUAL TABLE messages_fts USING fts5 (
  content, content = 'messages', content_rowid = 'seq', tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE questions_fts USING fts5 (
  content, content = 'messages', content_rowid = 'seq', tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO questions_fts (questions_fts, rank) VALUES ('secure-delete', 1);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts (rowid, content) SELECT new.seq, new.content WHERE ${INDEXED("new")};
  INSERT INTO questions_fts (rowid, content) SELECT new.seq, new.content WHERE ${QUESTION("new")};
END;

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, content) SELECT 'delete', old.seq, old.content WHERE ${INDEXED("old")};
  INSERT INTO questions_fts (questions_fts, rowid, content) SELECT 'delete', old.seq, old.content WHERE ${QUESTION("old")};
END;

CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, status, role ON messages
WHEN ${INDEXED("old")} OR ${INDEXED("new")} BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, content) SELECT 'delete', old.seq, old.content WHERE ${INDEXED("old")};
  INSERT INTO questions_fts (questions_fts, rowid, content) SELECT 'delete', old.seq, old.content WHERE ${QUESTION("old")};
  INSERT INTO messages_fts (rowid, content) SELECT new.seq, new.content WHERE ${INDEXED("new")};
  INSERT INTO questions_fts (rowid, content) SELECT new.seq, new.content WHERE ${QUESTION("new")};
END;

-- Token ids depend on the text; a cache entry for older text would feed the engine wrong tokens.
CREATE TRIGGER message_tokens_stale AFTER UPDATE OF content ON messages WHEN old.content IS NOT new.content BEGIN
  DELETE FROM message_tokens WHERE message_id = new.id;
END;
`;

// Documents attached to a conversation. Their text is kept only as chunks that tile it in order
// (the text is their concatenation), so the index and the passages need no second copy. A user
// message's sources are the passages put into its prompt; they point into the chunks' text by
// offsets, so deleting a document takes its passages out of every prompt and citation too.
const DOCUMENTS_SCHEMA = `
CREATE TABLE documents (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  media_type TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  chars INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX documents_by_conversation ON documents (conversation_id, seq);

CREATE TABLE document_chunks (
  seq INTEGER PRIMARY KEY,
  document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  ord INTEGER NOT NULL,
  start_char INTEGER NOT NULL,
  end_char INTEGER NOT NULL,
  content TEXT NOT NULL,
  UNIQUE (document_id, ord)
) STRICT;

CREATE VIRTUAL TABLE document_chunks_fts USING fts5 (
  content, content = 'document_chunks', content_rowid = 'seq', tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO document_chunks_fts (document_chunks_fts, rank) VALUES ('secure-delete', 1);

CREATE TRIGGER document_chunks_fts_insert AFTER INSERT ON document_chunks BEGIN
  INSERT INTO document_chunks_fts (rowid, content) VALUES (new.seq, new.content);
END;

CREATE TRIGGER document_chunks_fts_delete AFTER DELETE ON document_chunks BEGIN
  INSERT INTO document_chunks_fts (document_chunks_fts, rowid, content) VALUES ('delete', old.seq, old.content);
END;

CREATE TABLE document_tokens (
  document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  model_id TEXT NOT NULL,
  tokens BLOB NOT NULL,
  PRIMARY KEY (document_id, model_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE message_sources (
  message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  n INTEGER NOT NULL,
  document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  start_char INTEGER NOT NULL,
  end_char INTEGER NOT NULL,
  PRIMARY KEY (message_id, n)
) STRICT, WITHOUT ROWID;

CREATE INDEX message_sources_by_document ON message_sources (document_id);
`;

/** "RPRS": marks the file as Reprise's in its header, so a foreign SQLite file is never migrated. */
export const APPLICATION_ID = 0x52505253;

/** A copied span as schema version 1 stored it, and export files of version 1 hold it. */
export interface V1CopiedSpan {
  sourceId: string;
  /** Characters in the reply. */
  start: number;
  end: number;
  /** Tokens in the source. */
  sourceStart?: number;
  sourceEnd?: number;
}

/** The same span with the units in its field names. */
export function upgradeV1Span({ sourceId, start, end, sourceStart, sourceEnd }: V1CopiedSpan): CopiedSpan {
  return {
    sourceId,
    replyStartChar: start,
    replyEndChar: end,
    ...(sourceStart === undefined ? {} : { sourceStartToken: sourceStart }),
    ...(sourceEnd === undefined ? {} : { sourceEndToken: sourceEnd }),
  };
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "conversations, message tree, token cache, full-text indexes",
    up: (db) => {
      db.exec(V1_SCHEMA);
      db.pragma(`application_id = ${APPLICATION_ID}`);
    },
  },
  {
    version: 2,
    description: "copied spans in stored stats name their units (replyStartChar, sourceStartToken, …)",
    up: (db) => {
      const rows = db.prepare("SELECT seq, stats FROM messages WHERE stats IS NOT NULL").all() as { seq: number; stats: string }[];
      const update = db.prepare("UPDATE messages SET stats = ? WHERE seq = ?");
      for (const row of rows) {
        const stats = JSON.parse(row.stats) as { copiedSpans?: V1CopiedSpan[] };
        if (!Array.isArray(stats.copiedSpans)) continue;
        update.run(JSON.stringify({ ...stats, copiedSpans: stats.copiedSpans.map(upgradeV1Span) }), row.seq);
      }
    },
  },
  {
    version: 3,
    description: "a thinking model's thought, kept apart from the answer",
    up: (db) => {
      // Not indexed for search: the answer is what a user looks for again.
      db.exec("ALTER TABLE messages ADD COLUMN thought TEXT NOT NULL DEFAULT ''");
    },
  },
  {
    version: 4,
    description: "documents attached to conversations, their chunks in full-text search, passages cited by messages",
    up: (db) => db.exec(DOCUMENTS_SCHEMA),
  },
];

export const LATEST_VERSION = MIGRATIONS.length;

export function schemaVersion(db: Database.Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/**
 * Brings the schema to the newest version. Each migration runs in its own transaction together
 * with the user_version bump, so a failure leaves the database at the previous version.
 * Returns the versions applied.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`Migration ${i} has version ${m.version}; expected ${i + 1}`);
  });
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= schemaVersion(db)) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
    applied.push(m.version);
  }
  return applied;
}
