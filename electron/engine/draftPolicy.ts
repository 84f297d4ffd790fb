/**
 * How long a draft should be. Verification is not free: on a small CPU a batch
 * of k tokens can cost several times one token, because every drafted position
 * needs the model's full output layer. A draft pays only when the tokens it is
 * expected to yield outweigh what its batch costs, so the policy weighs the
 * measured cost curve against acceptance rates learned from earlier drafts.
 */

/** `relative[n - 1]`: time to evaluate a batch of n tokens over the time for one, both after `cachedTokens`. */
export interface CostCurve {
  relative: number[];
  /** Milliseconds for one token after `cachedTokens`. */
  singleTokenMs: number;
  /** Tokens in the cache when `relative` was timed. */
  cachedTokens: number;
  /**
   * The same batches timed after `deep.cachedTokens` tokens, over the single-token time after
   * `cachedTokens`. Every row of a batch attends to every cached token, so a batch grows dearer with
   * the cache faster than one token does: a draft that pays after a short prompt may not after a
   * long document. Between and beyond the two depths a batch's time is taken as linear in depth.
   */
  deep: { cachedTokens: number; relative: number[] };
  /**
   * The largest batch that evaluates bit-identically to one token at a time on
   * this machine. Drafts are kept shorter than this, so that verification can
   * never pick another token than plain decoding.
   */
  exactBatch: number;
}

export const maxDraftLength = 32;

/**
 * Timings under which verifying a draft costs nearly nothing, as on a GPU:
 * for tests that must see drafts however loaded the machine is (`assumedCost`).
 */
export const cheapVerification: Omit<CostCurve, "exactBatch"> = (() => {
  const relative = Array.from({ length: maxDraftLength + 1 }, (_, i) => 1 + i * 0.05);
  return { relative, singleTokenMs: 20, cachedTokens: 0, deep: { cachedTokens: 1, relative } };
})();

/**
 * Time of a batch of n tokens after `cachedTokens`, over the curve's single-token time: its two
 * timed depths joined by a line, never below the shallow one.
 */
export function batchCost(curve: Omit<CostCurve, "exactBatch">, n: number, cachedTokens: number): number {
  const shallow = curve.relative[n - 1]!;
  const deep = curve.deep.relative[n - 1]!;
  const along = Math.max(0, cachedTokens - curve.cachedTokens) / (curve.deep.cachedTokens - curve.cachedTokens);
  return shallow + (deep - shallow) * along;
}

/**
 * How trustworthy a match is, by what backs it. Long matches and continuations
 * of a span that was just copied successfully are accepted far more often than
 * a match on a token or two, and a span that has matched for a long stretch
 * (a past answer given again) tends to keep matching to its end: learned
 * apart, its high acceptance lets drafts grow to the longest that pay. Where
 * the longest matches disagree on the next token, the draft is `contested`
 * whatever its length: such drafts are refused far more often.
 */
export type Evidence = "sustained" | "continuation" | "long" | "medium" | "short" | "single" | "contested";

/** A continued span whose tail matches at least this far is `sustained`. */
export const sustainedMatch = 24;

export function evidenceOf(matchLength: number, continuesSpan: boolean, contested: boolean): Evidence {
  if (continuesSpan) return matchLength >= sustainedMatch ? "sustained" : "continuation";
  if (contested) return "contested";
  if (matchLength >= 8) return "long";
  if (matchLength >= 4) return "medium";
  if (matchLength >= 2) return "short";
  return "single";
}

/** Prior acceptance rates of the first drafted token, worth `priorWeight` observations each. */
const firstTokenPrior: Record<Evidence, number> = {
  sustained: 0.9,
  continuation: 0.85,
  long: 0.75,
  medium: 0.55,
  short: 0.3,
  single: 0.1,
  contested: 0.2,
};
/** Prior rate at which a drafted token is accepted given the one before it was. */
const nextTokenPrior: Record<Evidence, number> = {
  sustained: 0.95,
  continuation: 0.85,
  long: 0.85,
  medium: 0.85,
  short: 0.85,
  single: 0.85,
  contested: 0.85,
};
const priorWeight = 4;
/**
 * Each observation's weight shrinks by this factor with every newer one: the
 * rates follow the current reply (a paraphrase that stopped matching, a
 * passage being copied) more than replies long past.
 */
const decay = 0.95;
/**
 * What the current reply has shown counts as much as this many observations
 * of all replies before it: one paraphrase keeps matching its source where
 * another breaks off at once, and a few drafts tell which this one is.
 */
const replyWeight = 2;

/** Hits over trials, older observations fading by `decay`. */
class Rate {
  constructor(
    private hits = 0,
    private trials = 0,
  ) {}
  get value(): number {
    return this.hits / this.trials;
  }
  /** The rate with `prior` counted as `weight` observations: the prior where there is little data. */
  blended(prior: number, weight: number): number {
    return (this.hits + prior * weight) / (this.trials + weight);
  }
  add(hit: number): void {
    this.hits = this.hits * decay + hit;
    this.trials = this.trials * decay + 1;
  }
  clear(): void {
    this.hits = 0;
    this.trials = 0;
  }
}

export interface DraftOutcome {
  evidence: Evidence;
  drafted: number;
  accepted: number;
  /** False when generation stopped before the whole draft was judged. */
  complete: boolean;
}

/** Weight of a new pass time in the running average: recent load matters more than the calibration. */
const passWeight = 0.1;
/** A pass slower than this many times the running average is a hiccup (a page fault, a GC), not a cost. */
const outlierFactor = 8;
/** After this many passes without a draft of some size, one is tried again to re-measure its cost. */
const exploreEvery = 64;

/**
 * Acceptance by place in a draft. A past answer given again is accepted to its
 * end, a paraphrase breaks after a few tokens: one rate for every place would
 * make the first draft too long and the second too short. Each place's rate
 * (given that the tokens before it were accepted) is learned on its own,
 * starting from the rate of all places pooled, which stands in where a place
 * has little data; what the current reply shows is then weighed against it.
 */
class Acceptance {
  readonly first: Rate;
  readonly next: Rate;
  private readonly places = Array.from({ length: maxDraftLength }, () => new Rate());
  private readonly replyPlaces = Array.from({ length: maxDraftLength }, () => new Rate());

  constructor(evidence: Evidence) {
    this.first = new Rate(firstTokenPrior[evidence] * priorWeight, priorWeight);
    this.next = new Rate(nextTokenPrior[evidence] * priorWeight, priorWeight);
  }

  /** The rate of the token at `place` (0-based) of a draft, the ones before it accepted. */
  at(place: number): number {
    const before = place === 0 ? this.first.value : this.places[place]!.blended(this.next.value, priorWeight);
    return this.replyPlaces[place]!.blended(before, replyWeight);
  }

  startReply(): void {
    for (const rate of this.replyPlaces) rate.clear();
  }

  /** `accepted` leading tokens were accepted; `missed` says the one after them was judged and refused. */
  add(accepted: number, missed: boolean): void {
    const judged = accepted + (missed ? 1 : 0);
    for (let place = 0; place < judged; place++) {
      const hit = place < accepted ? 1 : 0;
      this.replyPlaces[place]!.add(hit);
      if (place === 0) {
        this.first.add(hit);
      } else {
        this.next.add(hit);
        this.places[place]!.add(hit);
      }
    }
  }
}

export class DraftPolicy {
  private readonly acceptance = new Map<Evidence, Acceptance>();
  /**
   * The current reply's first drafted tokens: how many were accepted, and how
   * many their evidence's rates expected. A reply that departs from its
   * sources refuses guesses of every kind of evidence, including kinds it has
   * not met yet: a paraphrase that matched nothing so far should not bet a
   * long draft on the first two-token match into a past answer.
   */
  private replyFirstAccepted = 0;
  private replyFirstExpected = 0;
  /**
   * By batch size, a running average of how a forward pass's time compared with what the curve
   * says of its size at its depth, as seen during generation: the machine's load.
   */
  private readonly load: number[];
  private readonly passesSince: number[];

  /**
   * How a plain decoding step compares with the curve's single token at its depth, learned from
   * every single-token pass even when the policy keeps to a given curve: the measure of a reply's
   * speed-up over plain decoding.
   */
  private plainStepLoad: number;
  /** The size of the pass observed before, to tell plain steps from the passes after a draft. */
  private previousBatch = 0;

  /**
   * With `observe` false, pass times are not learned: the given curve is used as it is.
   * `measuredSingleTokenMs` is the calibration's own single-token time where `cost` is assumed.
   */
  constructor(
    readonly cost: CostCurve,
    private readonly observe = true,
    measuredSingleTokenMs = cost.singleTokenMs,
  ) {
    for (const evidence of Object.keys(firstTokenPrior) as Evidence[]) this.acceptance.set(evidence, new Acceptance(evidence));
    this.load = cost.relative.map(() => 1);
    this.passesSince = cost.relative.map(() => 0);
    this.plainStepLoad = measuredSingleTokenMs / cost.singleTokenMs;
  }

  /** The curve's time of a batch of n after `cachedTokens`, in milliseconds. */
  private curveMs(n: number, cachedTokens: number): number {
    return batchCost(this.cost, n, cachedTokens) * this.cost.singleTokenMs;
  }

  /** Milliseconds of one plain decoding step after `cachedTokens`, as recent passes measured it. */
  plainStepMs(cachedTokens: number): number {
    return this.curveMs(1, cachedTokens) * this.plainStepLoad;
  }

  /** The current estimate of a batch of n tokens over one token after `cachedTokens`. */
  relativeCost(n: number, cachedTokens: number): number {
    return (batchCost(this.cost, n, cachedTokens) * this.load[n - 1]!) / (batchCost(this.cost, 1, cachedTokens) * this.load[0]!);
  }

  /**
   * Learns what a forward pass of `batch` tokens after `cachedTokens` really took, so that the
   * policy follows the machine's load instead of a calibration made once.
   */
  observePass(batch: number, ms: number, cachedTokens: number): void {
    // A single token right after a draft also pays for dropping what was refused: only one after
    // another single token is a plain decoding step.
    const plainStep = batch === 1 && this.previousBatch === 1;
    this.previousBatch = batch;
    const plainLoad = ms / this.curveMs(1, cachedTokens);
    if (plainStep && ms > 0 && plainLoad <= this.plainStepLoad * outlierFactor) this.plainStepLoad += passWeight * (plainLoad - this.plainStepLoad);
    const current = this.load[batch - 1];
    if (!this.observe || current === undefined || !(ms > 0)) return;
    const load = ms / this.curveMs(batch, cachedTokens);
    if (load > current * outlierFactor) return;
    this.load[batch - 1] = current + passWeight * (load - current);
    for (let n = 0; n < this.passesSince.length; n++) this.passesSince[n] = n === batch - 1 ? 0 : this.passesSince[n]! + 1;
  }

  /** Estimated acceptance of the first drafted token, and of the ones after it pooled over their places. */
  rates(evidence: Evidence): { first: number; next: number } {
    const acceptance = this.acceptance.get(evidence)!;
    return { first: acceptance.first.value, next: acceptance.next.value };
  }

  /**
   * How the current reply's first drafted tokens fared against their rates,
   * as a factor on the next first token's rate: below 1 once it refuses more
   * than expected, never above. One observation that went as expected is
   * counted in, so a single refusal only dents it.
   */
  private form(): number {
    return Math.min(1, (this.replyFirstAccepted + 1) / (this.replyFirstExpected + 1));
  }

  /**
   * The draft length with the most expected tokens per unit of time after
   * `cachedTokens`, or 0 when no draft beats plain decoding. A draft of k
   * yields 1 + E[accepted] tokens for the cost of a batch of k + 1.
   */
  length(evidence: Evidence, available: number, cachedTokens: number): number {
    const acceptance = this.acceptance.get(evidence)!;
    const limit = Math.min(available, maxDraftLength, this.cost.relative.length - 1, this.cost.exactBatch - 1);
    let best = 0;
    let bestRate = 1;
    let expected = 0;
    let reach = this.form();
    for (let k = 1; k <= limit; k++) {
      reach *= acceptance.at(k - 1);
      expected += reach;
      const rate = (1 + expected) / this.relativeCost(k + 1, cachedTokens);
      if (rate > bestRate) {
        best = k;
        bestRate = rate;
      }
    }
    // Ties and hair-thin gains go to plain decoding: a turn with nothing to copy must not slow down.
    if (bestRate > 1.03) return best;
    // A pessimistic estimate would never be corrected if its size were never tried:
    // on strong evidence, now and then, draft anyway and time it.
    if (evidence === "sustained" || evidence === "continuation" || evidence === "long") {
      for (let k = limit; k >= 1; k--) if (this.passesSince[k]! >= exploreEvery) return k;
    }
    return 0;
  }

  /** A new reply begins: its rates start again from the record of all replies. */
  startReply(): void {
    this.replyFirstAccepted = 0;
    this.replyFirstExpected = 0;
    for (const acceptance of this.acceptance.values()) acceptance.startReply();
  }

  /** Learns from how a draft fared. */
  record({ evidence, drafted, accepted, complete }: DraftOutcome): void {
    if (drafted === 0) return;
    const acceptance = this.acceptance.get(evidence)!;
    if (accepted > 0 || complete) {
      this.replyFirstExpected += acceptance.at(0);
      this.replyFirstAccepted += accepted > 0 ? 1 : 0;
    }
    acceptance.add(accepted, complete && accepted < drafted);
  }
}
