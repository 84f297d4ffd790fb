export type StoreErrorCode =
  | "NOT_FOUND"
  | "INVALID_STATE"
  | "INVALID_ARGUMENT"
  | "INVALID_IMPORT"
  | "CANNOT_OPEN"
  | "NOT_SQLITE"
  | "NOT_REPRISE"
  | "TRUNCATED"
  | "CORRUPT"
  | "NEWER_VERSION";

export class StoreError extends Error {
  override name = "StoreError";
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class NotFoundError extends StoreError {
  override name = "NotFoundError";
  constructor(what: string, id: string) {
    super("NOT_FOUND", `${what} ${id} does not exist`);
  }
}

/** The operation does not apply to the target in its current state (e.g. updating a finished message). */
export class InvalidStateError extends StoreError {
  override name = "InvalidStateError";
  constructor(message: string) {
    super("INVALID_STATE", message);
  }
}

/** An argument that no state of the store would accept (e.g. a list cursor the store never made). */
export class InvalidArgumentError extends StoreError {
  override name = "InvalidArgumentError";
  constructor(message: string) {
    super("INVALID_ARGUMENT", message);
  }
}

export class ImportError extends StoreError {
  override name = "ImportError";
  constructor(message: string) {
    super("INVALID_IMPORT", message);
  }
}

/**
 * The file at `path` cannot be used as a store. It has not been modified; the caller may
 * keep it aside and start on a fresh one (see `startFresh`).
 */
export abstract class BadDatabaseError extends StoreError {
  constructor(
    code: StoreErrorCode,
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}

export class CannotOpenError extends BadDatabaseError {
  override name = "CannotOpenError";
  constructor(path: string, cause: unknown) {
    super("CANNOT_OPEN", path, `Cannot open the conversation database ${path}: ${String(cause)}`, { cause });
  }
}

export class NotSQLiteError extends BadDatabaseError {
  override name = "NotSQLiteError";
  constructor(path: string) {
    super("NOT_SQLITE", path, `${path} is not a SQLite database (its header is not "SQLite format 3")`);
  }
}

/** A valid SQLite file that belongs to some other application: Reprise will not add its tables to it. */
export class ForeignDatabaseError extends BadDatabaseError {
  override name = "ForeignDatabaseError";
  constructor(path: string, detail: string) {
    super("NOT_REPRISE", path, `${path} is a SQLite database of another application (${detail})`);
  }
}

export class TruncatedDatabaseError extends BadDatabaseError {
  override name = "TruncatedDatabaseError";
  constructor(
    path: string,
    readonly actualBytes: number,
    readonly expectedBytes: number,
  ) {
    super(
      "TRUNCATED",
      path,
      `The database ${path} is truncated: it has ${actualBytes} bytes, its header says ${expectedBytes}`,
    );
  }
}

export class CorruptDatabaseError extends BadDatabaseError {
  override name = "CorruptDatabaseError";
  constructor(
    path: string,
    readonly problems: string[],
    options?: ErrorOptions,
  ) {
    super("CORRUPT", path, `The database ${path} is corrupt: ${problems.slice(0, 5).join("; ")}`, options);
  }
}

export class NewerVersionError extends BadDatabaseError {
  override name = "NewerVersionError";
  constructor(
    path: string,
    readonly fileVersion: number,
    readonly supportedVersion: number,
  ) {
    super(
      "NEWER_VERSION",
      path,
      `The database ${path} was written by a newer version of Reprise (schema ${fileVersion}; this version knows up to ${supportedVersion})`,
    );
  }
}
