import { closeSync, existsSync, openSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import {
  BadDatabaseError,
  CannotOpenError,
  CorruptDatabaseError,
  ForeignDatabaseError,
  NewerVersionError,
  NotSQLiteError,
  TruncatedDatabaseError,
} from "../../db/errors.js";
import { LATEST_VERSION } from "../../db/migrations.js";
import { keepAside, openDatabase } from "../../db/open.js";
import { Store } from "../../db/store.js";
import { openStore, sha256, tempDbPath, tempDir } from "./helpers.js";

/** A closed store with enough messages to span many pages. */
function healthyDatabase(): string {
  const path = tempDbPath();
  const store = Store.open(path);
  for (let i = 0; i < 40; i++) {
    const c = store.createConversation({ title: `conversation ${i}` });
    store.appendMessage({ conversationId: c.id, role: "user", content: `question ${i} `.repeat(40) });
    store.appendMessage({ conversationId: c.id, role: "assistant", content: `answer ${i} `.repeat(400) });
  }
  store.close();
  return path;
}

function pageSize(path: string): number {
  return readFileSync(path).readUInt16BE(16);
}

/** Opens `path` expecting `errorClass`; checks that nothing on disk changed. */
function expectRejected(path: string, errorClass: new (...args: never[]) => BadDatabaseError): BadDatabaseError {
  const before = [sha256(path), sha256(`${path}-wal`), existsSync(`${path}-shm`)];
  let error: unknown;
  try {
    Store.open(path).close();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(errorClass);
  const bad = error as BadDatabaseError;
  expect(bad.path).toBe(path);
  expect(bad.message).toContain(path);
  expect([sha256(path), sha256(`${path}-wal`), existsSync(`${path}-shm`)]).toEqual(before);
  return bad;
}

describe("opening", () => {
  it("creates a new database in WAL mode with foreign keys, a busy timeout and secure delete", () => {
    const path = tempDbPath();
    const db = openDatabase(path, { busyTimeoutMs: 1234 });
    try {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
      expect(db.pragma("busy_timeout", { simple: true })).toBe(1234);
      expect(db.pragma("secure_delete", { simple: true })).toBe(1);
      expect(db.pragma("synchronous", { simple: true })).toBe(1); // NORMAL
      expect(db.pragma("user_version", { simple: true })).toBe(LATEST_VERSION);
    } finally {
      db.close();
    }
  });

  it("reopens its own database, with a full integrity check on request", () => {
    const path = healthyDatabase();
    const store = openStore(path, { integrityCheck: "full" });
    expect(store.listConversations({ limit: 100 }).items).toHaveLength(40);
    expect(store.checkIntegrity()).toEqual([]);
  });

  it("treats an empty file as a new database", () => {
    const path = tempDbPath();
    writeFileSync(path, "");
    const store = openStore(path);
    expect(store.listConversations().items).toEqual([]);
  });

  it("cannot open a directory or a file in a missing directory", () => {
    const dir = tempDir();
    expect(() => Store.open(dir)).toThrow(CannotOpenError);
    expect(() => Store.open(join(dir, "missing", "x.db"))).toThrow(CannotOpenError);
  });
});

describe("bad databases", () => {
  it("a file that is not SQLite", () => {
    const path = tempDbPath();
    writeFileSync(path, "These are my notes, not a database.\n".repeat(200));
    const e = expectRejected(path, NotSQLiteError);
    expect(e.code).toBe("NOT_SQLITE");
  });

  it("a short file that is not SQLite either", () => {
    const path = tempDbPath();
    writeFileSync(path, "hi");
    expectRejected(path, NotSQLiteError);
  });

  it("a database cut short at a page boundary", () => {
    const path = healthyDatabase();
    const size = statSync(path).size;
    truncateSync(path, Math.floor(size / pageSize(path) / 2) * pageSize(path));
    const e = expectRejected(path, TruncatedDatabaseError) as TruncatedDatabaseError;
    expect(e.code).toBe("TRUNCATED");
    expect(e.expectedBytes).toBe(size);
    expect(e.actualBytes).toBeLessThan(size);
  });

  it("a database cut short in the middle of a page, or inside its header", () => {
    const path = healthyDatabase();
    truncateSync(path, statSync(path).size - 100);
    expectRejected(path, TruncatedDatabaseError);
    truncateSync(path, 50);
    expectRejected(path, TruncatedDatabaseError);
  });

  it("a database whose pages are damaged fails the integrity check", () => {
    const path = healthyDatabase();
    const size = pageSize(path);
    const pages = statSync(path).size / size;
    // Scribble over a page in the middle of the file (not the header page, so the damage is inside the b-trees).
    const fd = openSync(path, "r+");
    const page = Math.floor(pages / 2);
    writeSync(fd, Buffer.alloc(size, 0x5a), 0, size, page * size);
    closeSync(fd);
    const e = expectRejected(path, CorruptDatabaseError) as CorruptDatabaseError;
    expect(e.code).toBe("CORRUPT");
    expect(e.problems.length).toBeGreaterThan(0);
    expect(e.problems.join("\n")).not.toBe("ok");
  });

  it("a database written by a newer version", () => {
    const path = healthyDatabase();
    const raw = new Database(path);
    raw.pragma(`user_version = ${LATEST_VERSION + 1}`);
    raw.close();
    const e = expectRejected(path, NewerVersionError) as NewerVersionError;
    expect(e.code).toBe("NEWER_VERSION");
    expect(e.fileVersion).toBe(LATEST_VERSION + 1);
    expect(e.supportedVersion).toBe(LATEST_VERSION);
  });

  it("another application's SQLite database is not touched", () => {
    const path = tempDbPath();
    const raw = new Database(path);
    raw.exec("CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup');");
    raw.close();
    const e = expectRejected(path, ForeignDatabaseError);
    expect(e.code).toBe("NOT_REPRISE");

    const tagged = tempDbPath();
    const other = new Database(tagged);
    other.pragma("application_id = 42");
    other.close();
    expectRejected(tagged, ForeignDatabaseError);
  });

  it("gives each case its own error class and code", () => {
    const codes = [NotSQLiteError, TruncatedDatabaseError, CorruptDatabaseError, NewerVersionError, ForeignDatabaseError].map(
      (cls) => cls.name,
    );
    expect(new Set(codes).size).toBe(5);
  });
});

describe("keeping a bad database aside", () => {
  it("moves the file with its -wal and -shm aside and starts a fresh store at the same path", () => {
    const path = healthyDatabase();
    const raw = new Database(path);
    raw.pragma(`user_version = ${LATEST_VERSION + 5}`);
    raw.close();
    // Stand-ins for the files a crashed session leaves next to the database.
    writeFileSync(`${path}-wal`, "wal bytes");
    writeFileSync(`${path}-shm`, "");
    const original = sha256(path);
    expect(() => Store.open(path)).toThrow(NewerVersionError);

    const { store, keptAsidePath } = Store.startFresh(path);
    try {
      expect(keptAsidePath).toMatch(/reprise\.db\.broken-\d{4}-\d\d-\d\dT.*Z$/);
      expect(sha256(keptAsidePath)).toBe(original);
      expect(readFileSync(`${keptAsidePath}-wal`, "utf8")).toBe("wal bytes");
      expect(existsSync(`${keptAsidePath}-shm`)).toBe(true);
      expect(store.listConversations().items).toEqual([]);
      expect(store.createConversation().title).toBe("New conversation");
    } finally {
      store.close();
    }
    // The kept file is still the newer version's database, untouched.
    expect(() => Store.open(keptAsidePath)).toThrow(NewerVersionError);
  });

  it("never overwrites an earlier kept file", () => {
    const dir = tempDir();
    const path = join(dir, "x.db");
    const now = new Date("2026-03-04T05:06:07.089Z");
    writeFileSync(path, "first");
    writeFileSync(`${path}-wal`, "first wal");
    const first = keepAside(path, now);
    writeFileSync(path, "second");
    const second = keepAside(path, now);
    expect(first).toBe(join(dir, "x.db.broken-2026-03-04T05-06-07-089Z"));
    expect(second).toBe(`${first}-2`);
    expect(readFileSync(first, "utf8")).toBe("first");
    expect(readFileSync(`${first}-wal`, "utf8")).toBe("first wal");
    expect(readFileSync(second, "utf8")).toBe("second");
    expect(existsSync(path)).toBe(false);
  });
});
