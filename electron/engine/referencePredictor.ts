import { TokenPredictor, type Token } from "node-llama-cpp";
import { evidenceOf, maxDraftLength, sustainedMatch, type DraftPolicy, type Evidence } from "./draftPolicy";
import { ReferenceIndex, type Match, type ReferenceDocument } from "./referenceIndex";

/** A reference document handed in by the caller: text the reply may copy from. */
export interface Reference {
  id: string;
  tokens: readonly number[];
}

/** A run of accepted draft tokens and where it was copied from, all in tokens. */
export interface AcceptedRun {
  sourceId: string;
  /** Token range [sourceStartToken, sourceEndToken) in the source document. */
  sourceStartToken: number;
  sourceEndToken: number;
  /** Where the run begins in the reply's tokens. */
  replyStartToken: number;
}

export interface DraftStats {
  drafted: number;
  accepted: number;
  acceptedRuns: AcceptedRun[];
  /** Time spent in the predictor itself: index updates and lookups. */
  predictorMs: number;
}

/** The id of the live context: the system prompt, every turn so far and the reply being written. */
export const contextId = "context";

/** How many tail tokens a lookup compares; longer matches are not told apart. */
const maxMatchLength = 32;

/**
 * What the best candidate would have drafted at one pass, up to the longest
 * draft, judged against the tokens that follow whether it was drafted or not.
 * Learning from every pass, not only from drafts, lets acceptance be learned
 * for evidence the policy does not (yet) trust enough to draft on, and past
 * the end of a short draft.
 */
interface Trial {
  evidence: Evidence;
  guess: readonly number[];
  /** How many leading tokens of the guess the reply has matched so far. */
  matched: number;
}

interface PendingDraft {
  /** Position of the draft's first token in the reply. */
  replyAt: number;
  tokens: Token[];
  doc: ReferenceDocument;
  start: number;
  pushed: Token[];
}

/**
 * Drafts the tokens that follow the longest, best-supported match of the
 * generated tail in the live context and in reference documents (LLMA,
 * "Inference with Reference"). node-llama-cpp verifies each draft in one
 * forward pass and keeps only what greedy decoding itself would produce.
 *
 * Beyond plain lookup: candidates are ranked by evidence (continuing a span
 * that is being copied successfully, match length, what most rival matches
 * agree on, how often a document's drafts were right, recency); the draft
 * length follows the measured cost of verification and acceptance rates
 * learned from every pass; and all sources are searched at once, with the
 * live context indexed as it grows.
 */
export class ReferencePredictor extends TokenPredictor {
  private readonly index = new ReferenceIndex(maxMatchLength);
  private readonly context: ReferenceDocument;
  private pending: PendingDraft | undefined;
  private trials: Trial[] = [];
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
  /** When the current forward pass began, how many tokens it evaluates and after how many, to time it. */
  private pass: { started: number; batch: number; cachedTokens: number } | undefined;

  /** When false, nothing is drafted: for sampler settings under which drafting is not exact. */
  enabled = true;
  /** The most tokens the reply may have: a draft reaching past it would be verified for nothing. */
  replyLimit: number | undefined;

  constructor(
    private readonly policy: DraftPolicy,
    /**
     * The model's end-of-generation tokens. A copy stops before one: where a
     * source ended its turn, a reply more often goes on, and where the reply
     * does end there, the pass yields that token itself.
     */
    private readonly endsGeneration: (token: number) => boolean = () => false,
  ) {
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

  /**
   * Milliseconds plain decoding would take on this machine, as recent passes measured it, for
   * `tokens` one at a time after `cachedTokens`.
   */
  plainDecodingMs(cachedTokens: number, tokens: number): number {
    let ms = 0;
    for (let i = 0; i < tokens; i++) ms += this.policy.plainStepMs(cachedTokens + i);
    return ms;
  }

  /** Returns the stats since the last call and starts counting afresh. */
  takeStats(): DraftStats {
    this.settle(false);
    this.closeTrials();
    const stats = this.stats;
    this.stats = emptyStats();
    return stats;
  }

  reset({ stateTokens }: { stateTokens: Token[] }): void {
    this.timed(() => {
      this.settle(false);
      this.closeTrials();
      this.index.replace(this.context, stateTokens);
      this.replyBase = stateTokens.length;
      this.policy.startReply();
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
      this.judge(tokens);
    });
  }

  predictTokens(): Token[] {
    return this.timed(() => {
      this.settle(true);
      // A new prediction is asked for right before each forward pass: the time
      // since the last one is what the last pass cost, with its tokens' handling.
      const now = performance.now();
      if (this.pass) this.policy.observePass(this.pass.batch, now - this.pass.started, this.pass.cachedTokens);
      const promptPass = this.promptPass;
      this.promptPass = false;
      const draft = !this.enabled || promptPass ? [] : this.draft();
      // The prompt pass evaluates the whole prompt: its time says nothing about a batch of 1.
      this.pass = promptPass ? undefined : { started: now, batch: 1 + draft.length, cachedTokens: this.cachedTokens() };
      return draft;
    });
  }

  private draft(): Token[] {
    const candidate = this.choose(this.matches());
    if (!candidate) return [];
    const { match, evidence } = candidate;
    const guess = this.continuation(match);
    if (guess.length === 0) return [];
    this.trials.push({ evidence, guess, matched: 0 });
    const written = this.written();
    // The pass itself yields one token after the draft.
    const room = this.replyLimit === undefined ? Infinity : this.replyLimit - written - 1;
    const length = this.policy.length(evidence, Math.min(guess.length, room), this.cachedTokens());
    if (length === 0) return [];
    const tokens = guess.slice(0, length) as Token[];
    this.pending = { replyAt: written, tokens, doc: match.doc, start: match.next, pushed: [] };
    this.stats.drafted += tokens.length;
    return tokens;
  }

  /** Tokens already evaluated before the coming pass: all of the live context but its last token, which the pass reads. */
  private cachedTokens(): number {
    return Math.max(0, this.context.tokens.length - 1);
  }

  /** Tokens of the reply so far. */
  private written(): number {
    return this.context.tokens.length - this.replyBase;
  }

  /** Starts over for another conversation: no document has a record yet. */
  forgetSources(): void {
    this.record.clear();
  }

  override dispose(): void {
    this.pending = undefined;
    this.trials = [];
    this.span = undefined;
  }

  /**
   * What follows a match, up to the longest draft. A copy from the live
   * context may run past its end and go on copying itself, as a repeated
   * passage (a list's pattern, a loop a small model falls into) continues:
   * the draft extends the context it copies from.
   */
  private continuation(match: Match): number[] {
    const source = match.doc.tokens;
    const end = match.doc === this.context ? Infinity : source.length;
    const tokens: number[] = [];
    for (let at = match.next; tokens.length < maxDraftLength && at < end; at++) {
      const token = at < source.length ? source[at]! : tokens[at - source.length]!;
      if (this.endsGeneration(token)) break;
      tokens.push(token);
    }
    return tokens;
  }

  /** Every place in the sources where the live context's tail occurs. */
  private matches(): Match[] {
    return this.index.find(this.context.tokens.slice(-maxMatchLength), [this.context]);
  }

  /**
   * What a draft could copy from here, before the policy cuts it to a length: the chosen match's
   * continuation first, then every other match's. Drafting does not call it; the bench's replay
   * does, to tell how much of the gap to the copy bound lies in the lengths drafted and how much in
   * the matches chosen.
   */
  candidates(): number[][] {
    const found = this.matches();
    const chosen = this.choose(found);
    if (!chosen) return [];
    const others = found.filter((match) => match.doc !== chosen.match.doc || match.next !== chosen.match.next);
    return [chosen.match, ...others].map((match) => this.continuation(match));
  }

  /** Advances every open trial by the tokens just committed, and learns from those now decided. */
  private judge(tokens: readonly number[]): void {
    this.trials = this.trials.filter((trial) => {
      for (const token of tokens) {
        if (trial.guess[trial.matched] !== token) {
          this.learn(trial, true);
          return false;
        }
        if (++trial.matched === trial.guess.length) {
          this.learn(trial, true);
          return false;
        }
      }
      return true;
    });
  }

  private closeTrials(): void {
    for (const trial of this.trials) this.learn(trial, false);
    this.trials = [];
  }

  /** `complete` false: the reply ended first, so only the matched tokens are known to be right. */
  private learn(trial: Trial, complete: boolean): void {
    this.policy.record({ evidence: trial.evidence, drafted: trial.guess.length, accepted: trial.matched, complete });
  }

  /**
   * Picks the match with the best evidence, or none when nothing matches.
   * When the longest matches disagree on the token that comes next, the one
   * most of them agree on wins, and the evidence is `contested`: such drafts
   * are refused far more often than those of an undisputed match.
   *
   * Every answer opens with the same chat-template tokens, so a match in a
   * past answer that reaches back across the start of this reply tells no
   * more than the reply's own tokens in it, and counts only that far, unless
   * it takes in the question too: back to the start of the document (but for
   * a leading BOS token, which the live context has only once), or far enough
   * for a long question.
   */
  private choose(found: readonly Match[]): { match: Match; evidence: Evidence } | undefined {
    if (found.length === 0) return undefined;
    // A draft is only asked for once the reply has a token.
    const written = Math.max(1, this.written());
    const matches = found.map((match) =>
      match.doc === this.context || match.length >= sustainedMatch || match.next - match.length <= 1
        ? match
        : { ...match, length: Math.min(match.length, written) },
    );
    const continues = (match: Match) => this.span !== undefined && this.span.doc === match.doc && this.span.next === match.next;
    const best = this.best(matches, continues);
    if (continues(best)) return { match: best, evidence: evidenceOf(best.length, true, false) };
    const rivals = matches.filter((match) => match.length === best.length);
    const votes = new Map<number, number>();
    for (const match of rivals) votes.set(nextOf(match), (votes.get(nextOf(match)) ?? 0) + 1);
    let winner = nextOf(best);
    for (const [token, count] of votes) if (count > votes.get(winner)!) winner = token;
    const chosen = winner === nextOf(best) ? best : this.best(rivals.filter((match) => nextOf(match) === winner), continues);
    return { match: chosen, evidence: evidenceOf(chosen.length, false, votes.size > 1) };
  }

  private best(matches: readonly Match[], continues: (match: Match) => boolean): Match {
    let best = matches[0]!;
    let bestRank = this.rank(best, continues(best));
    for (const match of matches.slice(1)) {
      const rank = this.rank(match, continues(match));
      if (outranks(rank, bestRank)) {
        best = match;
        bestRank = rank;
      }
    }
    return best;
  }

  /**
   * What a candidate is judged by, most important first; each entry only decides between candidates
   * equal in all before it: continuing the span being copied, match length, how often the
   * document's drafts were right (Laplace-smoothed share of its drafted tokens accepted), then, among
   * equals, the newest document and the latest place in it.
   */
  private rank(match: Match, continues: boolean): Rank {
    const record = this.record.get(match.doc.id);
    const reliability = ((record?.accepted ?? 0) + 1) / ((record?.drafted ?? 0) + 2);
    return [continues ? 1 : 0, Math.min(match.length, maxMatchLength), reliability, match.doc.serial, match.next];
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
    const record = this.record.get(pending.doc.id) ?? { accepted: 0, drafted: 0 };
    record.accepted += accepted;
    record.drafted += judged ? pending.tokens.length : accepted;
    this.record.set(pending.doc.id, record);
    this.stats.accepted += accepted;
    if (accepted > 0) this.addRun(pending.doc.id, pending.start, pending.start + accepted, pending.replyAt);
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

  private addRun(sourceId: string, sourceStartToken: number, sourceEndToken: number, replyStartToken: number): void {
    const last = this.stats.acceptedRuns.at(-1);
    if (last && last.sourceId === sourceId && last.sourceEndToken === sourceStartToken) last.sourceEndToken = sourceEndToken;
    else this.stats.acceptedRuns.push({ sourceId, sourceStartToken, sourceEndToken, replyStartToken });
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

type Rank = readonly [continues: number, length: number, reliability: number, serial: number, next: number];

/** Whether `a` ranks above `b`: the first entry that differs decides. */
function outranks(a: Rank, b: Rank): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return false;
}

function nextOf(match: Match): number {
  return match.doc.tokens[match.next]!;
}

function emptyStats(): DraftStats {
  return { drafted: 0, accepted: 0, acceptedRuns: [], predictorMs: 0 };
}

function sameTokens(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((token, i) => token === b[i]);
}
