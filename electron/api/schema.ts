/**
 * A tiny runtime schema: everything that crosses a process boundary (HTTP, IPC) is checked field by
 * field before it reaches the chat service. Browser-safe: no Node imports.
 */

/** The payload does not match its schema; `path` names the offending field ("body.text"). */
export class ValidationError extends Error {
  override name = "ValidationError";
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

export interface ParseOptions {
  path?: string;
  /**
   * Values come from a URL query string, so every scalar arrives as a string: numbers and booleans
   * are accepted in their text form.
   */
  fromQuery?: boolean;
}

export interface Schema<T> {
  /** What is expected, for error messages ("a string of at most 100 characters"). */
  readonly expected: string;
  parse(value: unknown, options?: ParseOptions): T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function schema<T>(expected: string, check: (value: unknown, options: Required<ParseOptions>) => T): Schema<T> {
  return {
    expected,
    parse: (value, options = {}) => check(value, { path: options.path ?? "request", fromQuery: options.fromQuery ?? false }),
  };
}

/** A short account of a bad value; lists and objects are only named, so a value nested thousands deep costs nothing. */
function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object" && value !== null) return "an object";
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function fail(path: string, expected: string, value: unknown): never {
  throw new ValidationError(path, `expected ${expected}, got ${describe(value)}`);
}

/**
 * A UTF-16 surrogate that is not half of a pair. Storage (SQLite's UTF-8) and transports would turn it
 * into U+FFFD, so text with one is refused rather than silently changed.
 */
const loneSurrogate = /[\uD800-\uDFFF]/u;

/** A string of `min` to `max` characters, all of them real ones; `pattern`, if given, must match it whole. */
export function string(limits: { min?: number; max?: number; pattern?: { regex: RegExp; description: string } } = {}): Schema<string> {
  const min = limits.min ?? 0;
  const max = limits.max ?? Number.MAX_SAFE_INTEGER;
  const size =
    min > 0 ? `a string of ${min} to ${max} characters` : limits.max ? `a string of at most ${max} characters` : "a string";
  const expected = limits.pattern ? `${size}, ${limits.pattern.description}` : size;
  return schema(expected, (v, { path }) => {
    if (typeof v !== "string" || v.length < min || v.length > max) fail(path, expected, v);
    if (limits.pattern && !limits.pattern.regex.test(v)) fail(path, expected, v);
    if (loneSurrogate.test(v)) throw new ValidationError(path, "text with a lone UTF-16 surrogate (half of a character)");
    return v;
  });
}

export function number(limits: { min?: number; max?: number; integer?: boolean } = {}): Schema<number> {
  const min = limits.min ?? -Number.MAX_VALUE;
  const max = limits.max ?? Number.MAX_VALUE;
  const kind = limits.integer ? "an integer" : "a number";
  const expected =
    limits.min !== undefined && limits.max !== undefined
      ? `${kind} from ${min} to ${max}`
      : limits.min !== undefined
        ? `${kind} of at least ${min}`
        : kind;
  return schema(expected, (v, { path, fromQuery }) => {
    const n = fromQuery && typeof v === "string" && v.trim() !== "" ? Number(v) : v;
    if (typeof n !== "number" || !Number.isFinite(n) || n < min || n > max || (limits.integer && !Number.isInteger(n))) {
      fail(path, expected, v);
    }
    return n;
  });
}

export function boolean(): Schema<boolean> {
  return schema("true or false", (v, { path, fromQuery }) => {
    if (fromQuery && (v === "true" || v === "false")) return v === "true";
    if (typeof v !== "boolean") fail(path, "true or false", v);
    return v;
  });
}

export function oneOf<const T extends string>(values: readonly T[]): Schema<T> {
  const expected = `one of ${values.map((v) => JSON.stringify(v)).join(", ")}`;
  return schema(expected, (v, { path }) => {
    if (!values.includes(v as T)) fail(path, expected, v);
    return v as T;
  });
}

export function optional<T>(inner: Schema<T>): Schema<T | undefined> {
  return schema(`${inner.expected} (optional)`, (v, options) =>
    v === undefined ? undefined : inner.parse(v, options),
  );
}

export function array<T>(item: Schema<T>, limits: { min?: number; max?: number } = {}): Schema<T[]> {
  const min = limits.min ?? 0;
  const max = limits.max ?? Number.MAX_SAFE_INTEGER;
  const expected =
    min > 0 ? `a list of at least ${min} item${min > 1 ? "s" : ""}` : limits.max ? `a list of at most ${max} items` : "a list";
  return schema(expected, (v, { path, fromQuery }) => {
    if (!Array.isArray(v) || v.length < min || v.length > max) fail(path, expected, v);
    return v.map((x, i) => item.parse(x, { path: `${path}[${i}]`, fromQuery }));
  });
}

/** Exactly this value. */
export function literal<const T extends string | number | boolean>(value: T): Schema<T> {
  const expected = JSON.stringify(value);
  return schema(expected, (v, { path }) => {
    if (v !== value) fail(path, expected, v);
    return value;
  });
}

export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return schema(`${inner.expected} or null`, (v, options) => (v === null ? null : inner.parse(v, options)));
}

/** What `inner` accepts, turned into another form (an older format into the current one). */
export function transform<T, U>(inner: Schema<T>, into: (value: T) => U): Schema<U> {
  return schema(inner.expected, (v, options) => into(inner.parse(v, options)));
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

function isJson(v: unknown): v is JsonValue {
  if (v === null || typeof v === "string" || typeof v === "boolean") return true;
  if (typeof v === "number") return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(isJson);
  return typeof v === "object" && Object.values(v).every(isJson);
}

/** An object of JSON values, nested to any depth. */
export function jsonObject(): Schema<{ [key: string]: JsonValue }> {
  const expected = "a JSON object";
  return schema(expected, (v, { path }) => {
    if (typeof v !== "object" || v === null || Array.isArray(v) || !isJson(v)) fail(path, expected, v);
    return v as { [key: string]: JsonValue };
  });
}

/** Whichever of the two schemas accepts the value, tried in order. */
export function anyOf<A, B>(a: Schema<A>, b: Schema<B>): Schema<A | B> {
  const expected = `${a.expected}, or ${b.expected}`;
  return schema(expected, (v, options) => {
    try {
      return a.parse(v, options);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      try {
        return b.parse(v, options);
      } catch {
        return fail(options.path, expected, v);
      }
    }
  });
}

type Shape = { [key: string]: Schema<unknown> };
type ObjectOf<S extends Shape> = { [K in keyof S]: Infer<S[K]> };

/**
 * An object with these fields. Unknown fields are rejected, so a misspelt option is not silently
 * ignored, unless `unknownFields` is "ignore" (for foreign protocols whose clients send more than is used).
 */
export function object<S extends Shape>(
  shape: S,
  options: { unknownFields?: "reject" | "ignore" } = {},
): Schema<ObjectOf<S>> {
  return schema("an object", (v, { path, fromQuery }) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) fail(path, "an object", v);
    const input = v as { [key: string]: unknown };
    for (const key of Object.keys(input)) {
      if (!Object.hasOwn(shape, key) && options.unknownFields !== "ignore") {
        throw new ValidationError(`${path}.${key}`, "unknown field");
      }
    }
    const out: { [key: string]: unknown } = {};
    for (const [key, field] of Object.entries(shape)) {
      const value = field.parse(input[key], { path: `${path}.${key}`, fromQuery });
      if (value !== undefined) out[key] = value;
    }
    return out as ObjectOf<S>;
  });
}
