/**
 * An n-gram index over the token ids of reference documents: the live context
 * of a sequence and cached past answers. Given the tail of what has been
 * generated, it finds every place in every document where that tail occurs,
 * with how far back each match reaches, so a predictor can copy what follows.
 */

/** A place in a document where the query tail occurs, and what follows it. */
export interface Match {
  doc: ReferenceDocument;
  /** Index in `doc.tokens` of the first token after the match: where a copy starts. */
  next: number;
  /** How many tokens of the tail match, counting back from its end (capped at `maxMatchLength`). */
  length: number;
}

export class ReferenceDocument {
  /** Position in the order of addition: newer documents have a larger serial. */
  readonly serial: number;
  private readonly data: number[] = [];

  constructor(
    readonly id: string,
    serial: number,
  ) {
    this.serial = serial;
  }

  get tokens(): readonly number[] {
    return this.data;
  }

  /** Used by the index only: the index must see every change to keep its keys true. */
  _push(token: number): void {
    this.data.push(token);
  }

  _truncate(length: number): void {
    this.data.length = length;
  }
}

/** Token ids fit in 24 bits for every vocabulary node-llama-cpp supports; two make one key. */
const keyShift = 2 ** 24;
const pairKey = (a: number, b: number): number => a * keyShift + b;

/** Past this many occurrences of one token pair, the oldest are forgotten: they rarely win. */
const maxPositionsPerKey = 256;

export class ReferenceIndex {
  private readonly documents = new Map<string, ReferenceDocument>();
  /** Token pair → places where the pair ends, as [document, index of its second token]. */
  private readonly pairs = new Map<number, [ReferenceDocument, number][]>();
  private serial = 0;

  constructor(
    /** Longest tail compared; past it, a longer match adds no evidence worth the time. */
    readonly maxMatchLength = 32,
  ) {}

  get size(): number {
    return this.documents.size;
  }

  get(id: string): ReferenceDocument | undefined {
    return this.documents.get(id);
  }

  has(id: string): boolean {
    return this.documents.has(id);
  }

  ids(): string[] {
    return [...this.documents.keys()];
  }

  /** Adds a document, or replaces one with the same id. */
  set(id: string, tokens: readonly number[]): ReferenceDocument {
    this.delete(id);
    const doc = new ReferenceDocument(id, this.serial++);
    this.documents.set(id, doc);
    this.append(doc, tokens);
    return doc;
  }

  /** Adds tokens to the end of a document, as they arrive. */
  append(doc: ReferenceDocument, tokens: readonly number[]): void {
    for (const token of tokens) {
      doc._push(token);
      const end = doc.tokens.length - 1;
      if (end === 0) continue;
      const key = pairKey(doc.tokens[end - 1]!, token);
      let places = this.pairs.get(key);
      if (!places) this.pairs.set(key, (places = []));
      places.push([doc, end]);
      if (places.length > maxPositionsPerKey) places.splice(0, places.length - maxPositionsPerKey);
    }
  }

  /**
   * Makes the document hold `tokens`, re-indexing only what differs from what
   * it holds now: the live context changes at its end (a new turn, rejected
   * drafts) far more often than at its start.
   */
  replace(doc: ReferenceDocument, tokens: readonly number[]): void {
    const current = doc.tokens;
    let common = 0;
    const limit = Math.min(current.length, tokens.length);
    while (common < limit && current[common] === tokens[common]) common++;
    this.truncate(doc, common);
    this.append(doc, common === 0 ? tokens : tokens.slice(common));
  }

  /** Drops the document's tokens from `length` on. */
  truncate(doc: ReferenceDocument, length: number): void {
    const tokens = doc.tokens;
    for (let end = tokens.length - 1; end >= Math.max(1, length); end--) {
      const key = pairKey(tokens[end - 1]!, tokens[end]!);
      const places = this.pairs.get(key);
      if (!places) continue;
      const at = places.findLastIndex(([d, e]) => d === doc && e === end);
      if (at >= 0) places.splice(at, 1);
      if (places.length === 0) this.pairs.delete(key);
    }
    doc._truncate(Math.min(length, tokens.length));
  }

  delete(id: string): void {
    const doc = this.documents.get(id);
    if (!doc) return;
    this.truncate(doc, 0);
    this.documents.delete(id);
  }

  /**
   * Every place where the last tokens of `tail` occur and are followed by at
   * least one token. Matches of two or more tokens come from the pair index;
   * when there are none, a single-token match is searched in the documents
   * named by `singleTokenDocs` (scanning for one token is linear, so only
   * where it is cheap and likely to pay, such as the live context).
   */
  find(tail: readonly number[], singleTokenDocs: readonly ReferenceDocument[] = []): Match[] {
    const n = tail.length;
    if (n === 0) return [];
    const matches: Match[] = [];
    if (n >= 2) {
      const places = this.pairs.get(pairKey(tail[n - 2]!, tail[n - 1]!));
      if (places) {
        for (const [doc, end] of places) {
          if (end + 1 >= doc.tokens.length) continue;
          matches.push({ doc, next: end + 1, length: this.extendBack(doc.tokens, end, tail) });
        }
      }
    }
    if (matches.length > 0) return matches;
    const last = tail[n - 1]!;
    for (const doc of singleTokenDocs) {
      const tokens = doc.tokens;
      for (let i = tokens.length - 2; i >= 0; i--) {
        if (tokens[i] === last) matches.push({ doc, next: i + 1, length: 1 });
      }
    }
    return matches;
  }

  /** How many tokens ending at `end` in `tokens` equal the end of `tail`. */
  private extendBack(tokens: readonly number[], end: number, tail: readonly number[]): number {
    let length = 0;
    const max = Math.min(this.maxMatchLength, end + 1, tail.length);
    while (length < max && tokens[end - length] === tail[tail.length - 1 - length]) length++;
    return length;
  }
}
