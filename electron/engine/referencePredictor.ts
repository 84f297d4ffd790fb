import { TokenPredictor, type Token } from "node-llama-cpp";
import { evidenceOf, type DraftPolicy, type Evidence } from "./draftPolicy";
import { ReferenceIndex, type Match, type ReferenceDocument } from "./referenceIndex";

/** A reference document handed in by the caller: text the reply may copy from. */
export interface Reference {
  id: string;
  tokens: readonly number[];
}

/** A run of accepted draft tokens and where it was copied from. */
export interface CopiedSpan {
  sourceId: string;
  /** Token range [start, end) in the source document. */
  start: number;
  end: number;
  /** Where the run begins in the reply's tokens. */
  replyStart: number;
}

export interface DraftStats {
  drafted: number;
  accepted: number;
  copiedSpans: CopiedSpan[];
  /** Time spent in the predictor itself: index updates and lookups. */
  predictorMs: number;
}

/** The id of the live context: the system prompt, every turn so far and the reply being written. */
export const contextId = "context";

/** How many tail tokens a lookup compares; longer matches are not told apart. */
const maxMatchLength = 32;

interface PendingDraft {
  /** Position of the draft's first token in the reply. */
  replyAt: number;
  tokens: Token[];
  doc: ReferenceDocument;
  start: number;
  evidence: Evidence;
  pushed: Token[];
}

/**
 * Drafts the tokens that follow the longest, best-supported match of the
 * generated tail in the live context and in reference documents (LLMA,
 * "Inference with Reference"). node-llama-cpp verifies each draft in one
 * forward pass and keeps only what greedy decoding itself would produce.
 *
 * Beyond plain lookup: candidates are ranked by evidence (continuing a span
 * that is being copied successfully, match length, how often a document's
 * drafts were right, recency); the draft length follows the measured cost of
 * verification and learned acceptance rates; and all sources are searched at
 * once, with the live context indexed as it grows.
 */
export class ReferencePredictor extends TokenPredictor {
  private readonly index = new ReferenceIndex(maxMatchLength);
  private readonly context: ReferenceDocument;
  private pending: PendingDraft | undefined;
  /** Where the last accepted copy left off: the next token to copy from there. */
  private span: { doc: ReferenceDocument; next: number } | undefined;
  /** Accepted and drafted tokens per document: how often its continuations were right. */
  private readonly record = new Map<string, { accepted: number; drafted: number }>();
  private stats: DraftStats = emptyStats();
  /** Length of the live context when the reply began: reply positions count from here. */
  private replyBase = 0;
  /**
   * True from a reset until the first prediction: that evaluation carries the
   * new prompt. Drafts appended to it would change the prompt batch's shape,
   * and llama.cpp's CPU kernels round a row differently depending on the batch
   * it is in, so the prompt is always evaluated alone, as plain decoding does.
   */
  private promptPass = false;
  /** When the current forward pass began and how many tokens it evaluates, to time it. */
  private pass: { started: number; batch: number } | undefined;

  /** When false, nothing is drafted: for sampler settings under which drafting is not exact. */
  enabled = true;

  constructor(private readonly policy: DraftPolicy) {
    super();
    this.context = this.index.set(contextId, []);
  }

  /** Replaces the extra reference documents; unchanged ones keep their index. */
  setReferences(references: readonly Reference[]): void {
    this.timed(() => {
      const wanted = new Set(references.map((r) => r.id));
      for (const id of this.index.ids()) if (id !== contextId && !wanted.has(id)) this.index.delete(id);
      for (const reference of references) {
        if (reference.id === contextId) throw new Error(`"${contextId}" is reserved for the live context`);
        const existing = this.index.get(reference.id);
        if (!existing || !sameTokens(existing.tokens, reference.tokens)) this.index.set(reference.id, reference.tokens);
      }
    });
  }

  /** Returns the stats since the last call and starts counting afresh. */
  takeStats(): DraftStats {
    this.settle(false);
    const stats = this.stats;
    this.stats = emptyStats();
    return stats;
  }

  reset({ stateTokens }: { stateTokens: Token[] }): void {
    this.timed(() => {
      this.settle(false);
      this.index.replace(this.context, stateTokens);
      this.replyBase = stateTokens.length;
      this.promptPass = true;
      this.pass = undefined;
      this.span = undefined;
    });
  }

  override updateInputTokens(tokens: Token[]): void {
    this.timed(() => this.index.replace(this.context, tokens));
  }

  pushTokens(tokens: Token[]): void {
    this.timed(() => {
      this.index.append(this.context, tokens);
      this.pending?.pushed.push(...tokens);
    });
  }

  predictTokens(): Token[] {
    return this.timed(() => {
      this.settle(true);
      // A new prediction is asked for right before each forward pass: the time
      // since the last one is what the last pass cost, with its tokens' handling.
      const now = performance.now();
      if (this.pass) this.policy.observePass(this.pass.batch, now - this.pass.started);
      const promptPass = this.promptPass;
      this.promptPass = false;
      const draft = !this.enabled || promptPass ? [] : this.draft();
      // The prompt pass evaluates the whole prompt: its time says nothing about a batch of 1.
      this.pass = promptPass ? undefined : { started: now, batch: 1 + draft.length };
      return draft;
    });
  }

  private draft(): Token[] {
    const candidate = this.choose();
    if (!candidate) return [];
    const { match, evidence } = candidate;
    const available = match.doc.tokens.length - match.next;
    const length = this.policy.length(evidence, available);
    if (length === 0) return [];
    const tokens = match.doc.tokens.slice(match.next, match.next + length) as Token[];
    const replyAt = this.context.tokens.length - this.replyBase;
    this.pending = { replyAt, tokens, doc: match.doc, start: match.next, evidence, pushed: [] };
    this.stats.drafted += tokens.length;
    return tokens;
  }

  override dispose(): void {
    this.pending = undefined;
    this.span = undefined;
  }

  /** Picks the match with the best evidence, or none when nothing matches. */
  private choose(): { match: Match; evidence: Evidence } | undefined {
    const tail = this.context.tokens.slice(-maxMatchLength);
    const matches = this.index.find(tail, [this.context]);
    if (matches.length === 0) return undefined;
    let best: Match | undefined;
    let bestScore = -Infinity;
    let bestContinues = false;
    for (const match of matches) {
      const continues = this.span !== undefined && this.span.doc === match.doc && this.span.next === match.next;
      const score = this.score(match, continues);
      if (score > bestScore) {
        best = match;
        bestScore = score;
        bestContinues = continues;
      }
    }
    return { match: best!, evidence: evidenceOf(best!.length, bestContinues) };
  }

  private score(match: Match, continues: boolean): number {
    const record = this.record.get(match.doc.id);
    // Laplace-smoothed share of this document's drafted tokens that were accepted.
    const reliability = ((record?.accepted ?? 0) + 1) / ((record?.drafted ?? 0) + 2);
    return (
      (continues ? 1000 : 0) +
      Math.min(match.length, maxMatchLength) * 10 +
      reliability * 8 +
      // Among equals, the newest document and the latest place in it.
      match.doc.serial * 1e-3 +
      match.next * 1e-7
    );
  }

  /**
   * Judges the pending draft by the tokens committed since it was made: the
   * leading tokens equal to the draft were accepted. `complete` says whether
   * verification is known to be over (a new prediction is asked for).
   */
  private settle(complete: boolean): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    let accepted = 0;
    while (accepted < pending.tokens.length && pending.pushed[accepted] === pending.tokens[accepted]) accepted++;
    const judged = complete || accepted < pending.pushed.length;
    this.policy.record({ evidence: pending.evidence, drafted: pending.tokens.length, accepted, complete: judged });
    const record = this.record.get(pending.doc.id) ?? { accepted: 0, drafted: 0 };
    record.accepted += accepted;
    record.drafted += judged ? pending.tokens.length : accepted;
    this.record.set(pending.doc.id, record);
    this.stats.accepted += accepted;
    if (accepted > 0) this.addSpan(pending.doc.id, pending.start, pending.start + accepted, pending.replyAt);
    // A fully accepted draft is followed by the model's own next token, which
    // may again equal the document's: keep copying from there if it does.
    const resume = pending.start + accepted;
    this.span =
      accepted === pending.tokens.length && pending.pushed.length > accepted && pending.doc.tokens[resume] === pending.pushed[accepted]
        ? { doc: pending.doc, next: resume + 1 }
        : accepted > 0 && accepted === pending.pushed.length
          ? { doc: pending.doc, next: resume }
          : undefined;
  }

  private addSpan(sourceId: string, start: number, end: number, replyStart: number): void {
    const last = this.stats.copiedSpans.at(-1);
    if (last && last.sourceId === sourceId && last.end === start) last.end = end;
    else this.stats.copiedSpans.push({ sourceId, start, end, replyStart });
  }

  private timed<T>(work: () => T): T {
    const started = performance.now();
    try {
      return work();
    } finally {
      this.stats.predictorMs += performance.now() - started;
    }
  }
}

function emptyStats(): DraftStats {
  return { drafted: 0, accepted: 0, copiedSpans: [], predictorMs: 0 };
}

function sameTokens(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((token, i) => token === b[i]);
}
