import { chmodSync, closeSync, existsSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import Database from "better-sqlite3";
import {
  BadDatabaseError,
  CannotOpenError,
  CorruptDatabaseError,
  ForeignDatabaseError,
  NewerVersionError,
  NotSQLiteError,
  TruncatedDatabaseError,
} from "./errors.js";
import { APPLICATION_ID, LATEST_VERSION, migrate } from "./migrations.js";

export interface OpenOptions {
  /**
   * "auto" (default) runs the full PRAGMA integrity_check when the file is at most
   * AUTO_FULL_CHECK_BYTES or the last session did not close it (a -wal file was left behind),
   * and otherwise only the checks that cost no full scan: header, size, schema, version.
   * A full check reads every page at about 100 MB/s on a 2-core machine (7 s for a million
   * messages), so it is kept to files small enough to check within the start-up budget, and to
   * the one open after a crash. "full" always runs it; Store.checkIntegrity runs it on demand.
   */
  integrityCheck?: "auto" | "full";
  /** How long a statement waits for a lock held by another connection before failing. */
  busyTimeoutMs?: number;
}

export const AUTO_FULL_CHECK_BYTES = 16 * 1024 * 1024;
const AUTOCHECKPOINT_PAGES = 10_000;

const MAGIC = Buffer.from("SQLite format 3\0", "latin1");
const HEADER_BYTES = 100;

/** Reads the header only: catches files that are not SQLite or are shorter than they claim. */
function checkHeader(path: string, size: number): void {
  if (size === 0) return; // SQLite reads an empty file as an empty database.
  const header = Buffer.alloc(HEADER_BYTES);
  const fd = openSync(path, "r");
  let read: number;
  try {
    read = readSync(fd, header, 0, HEADER_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  const magicLength = Math.min(read, MAGIC.length);
  if (!header.subarray(0, magicLength).equals(MAGIC.subarray(0, magicLength))) throw new NotSQLiteError(path);
  if (read < HEADER_BYTES) throw new TruncatedDatabaseError(path, size, HEADER_BYTES);

  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) {
    throw new CorruptDatabaseError(path, [`invalid page size ${rawPageSize} in the header`]);
  }
  // The in-header page count is only meaningful when "version-valid-for" matches the change counter.
  const pageCount = header.readUInt32BE(28);
  const headerCountValid = header.readUInt32BE(92) === header.readUInt32BE(24) && pageCount > 0;
  if (headerCountValid && size < pageCount * pageSize) {
    throw new TruncatedDatabaseError(path, size, pageCount * pageSize);
  }
  if (size % pageSize !== 0) {
    throw new TruncatedDatabaseError(path, size, Math.ceil(size / pageSize) * pageSize);
  }
}

function sqliteCode(e: unknown): string | undefined {
  return e instanceof Database.SqliteError ? e.code : undefined;
}

function asOpenError(path: string, e: unknown): Error {
  if (e instanceof BadDatabaseError) return e;
  const code = sqliteCode(e);
  if (code === "SQLITE_NOTADB") return new NotSQLiteError(path);
  if (code?.startsWith("SQLITE_CORRUPT")) return new CorruptDatabaseError(path, [String(e)], { cause: e });
  return new CannotOpenError(path, e);
}

/**
 * Everything that can be learned without writing: a read-only connection never modifies the database
 * or its -wal (it may rebuild the -shm, which holds only a cache of the WAL's index).
 */
function inspect(path: string, fullCheck: boolean): void {
  // A read-only connection to a WAL database creates an empty -wal and an -shm if there are none.
  // Files that did not exist belong to no other connection, so they are removed again: a rejected
  // file is left exactly as it was found.
  const created = [`${path}-wal`, `${path}-shm`].filter((p) => !existsSync(p));
  const ro = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const objects = ro.prepare("SELECT count(*) FROM sqlite_schema").pluck().get() as number;
    const appId = ro.pragma("application_id", { simple: true }) as number;
    const version = ro.pragma("user_version", { simple: true }) as number;
    if (appId !== APPLICATION_ID && (appId !== 0 || objects > 0)) {
      throw new ForeignDatabaseError(
        path,
        appId === 0 ? `${objects} schema objects and no application id` : `application id 0x${appId.toString(16)}`,
      );
    }
    if (version > LATEST_VERSION) throw new NewerVersionError(path, version, LATEST_VERSION);
    if (fullCheck) {
      const problems = ro.pragma("integrity_check", { simple: false }) as { integrity_check: string }[];
      const messages = problems.map((p) => p.integrity_check);
      if (messages.length !== 1 || messages[0] !== "ok") throw new CorruptDatabaseError(path, messages);
    }
  } finally {
    ro.close();
    for (const p of created) rmSync(p, { force: true });
  }
}

/**
 * Makes the database readable and writable by its owner only (0600), creating it empty if it does not
 * exist: SQLite gives its -wal and -shm files the mode of the database file, so they follow. A file
 * left wider by an earlier version is narrowed. Where files have no modes (Windows) this changes nothing.
 */
function restrictToOwner(path: string): void {
  if (!existsSync(path)) writeFileSync(path, "", { mode: 0o600, flag: "wx" });
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}

/**
 * Opens (or creates) the conversation database at `path`, ready for use: checked, WAL mode,
 * migrated to the latest schema. Throws a BadDatabaseError subclass when the file cannot be
 * used; such a file is left exactly as it was.
 */
export function openDatabase(path: string, options: OpenOptions = {}): Database.Database {
  const { integrityCheck = "auto", busyTimeoutMs = 5000 } = options;
  try {
    if (existsSync(path)) {
      const stat = statSync(path);
      if (!stat.isFile()) throw new CannotOpenError(path, "not a regular file");
      checkHeader(path, stat.size);
      // A closed database has no -wal left; one with frames means the last session ended in a crash.
      const crashed = existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0;
      inspect(path, integrityCheck === "full" || stat.size <= AUTO_FULL_CHECK_BYTES || crashed);
    }
  } catch (e) {
    throw asOpenError(path, e);
  }

  let db: Database.Database;
  try {
    restrictToOwner(path);
    db = new Database(path);
  } catch (e) {
    throw asOpenError(path, e);
  }
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    // WAL: readers never block the writer, and a commit is one append to the -wal file.
    const mode = db.pragma("journal_mode = WAL", { simple: true });
    if (mode !== "wal") throw new Error(`journal_mode is ${String(mode)}, not wal`);
    // NORMAL in WAL mode syncs at checkpoints, not at each commit. A killed process loses nothing that
    // was committed (the appended WAL frames are in the OS already; the crash test checks it); a power
    // cut can lose the last commits but never corrupts the file. That trade keeps a streaming update
    // far below a millisecond.
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    // Freed space is zeroed, so deleted text does not linger in free pages or unused cell space.
    db.pragma("secure_delete = ON");
    // The store checkpoints when it goes idle (see Store), so that the fsync a checkpoint needs is not
    // paid inside a user's write; SQLite's own checkpoint remains as a backstop for long write bursts.
    db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    migrate(db);
    return db;
  } catch (e) {
    db.close();
    throw asOpenError(path, e);
  }
}

/**
 * Moves a database that could not be opened (with its -wal and -shm, which belong to it) to
 * `<path>.broken-<timestamp>` and returns that path. Nothing is deleted or overwritten.
 */
export function keepAside(path: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, "-");
  let target = `${path}.broken-${stamp}`;
  for (let n = 2; [target, `${target}-wal`, `${target}-shm`].some(existsSync); n++) {
    target = `${path}.broken-${stamp}-${n}`;
  }
  renameSync(path, target);
  for (const suffix of ["-wal", "-shm"]) {
    if (existsSync(path + suffix)) renameSync(path + suffix, target + suffix);
  }
  return target;
}
