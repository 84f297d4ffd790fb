import { batchCost, maxDraftLength, type CostCurve } from "../../electron/engine/draftPolicy";

/**
 * The fastest any reference drafter could have written a reply, given what
 * there was to copy: an oracle that knows, at every place in the reply, how far
 * the reply goes on to equal some stretch of its references, and drafts exactly
 * that far (never a refused token, never a missed copy), each pass priced by
 * the calibrated cost curve. No drafter that copies from the same sources can
 * do better, so the gap between this and a measured speed-up is what better
 * guessing could still win, and a target above it is out of reach.
 */

/**
 * For each place i of `reply`, the length of the longest run starting at i
 * that also occurs in a reference, or earlier in the sequence `prompt` +
 * `reply` (where the copy may run on into the tokens it is producing, as a
 * repeated passage does).
 */
export function copyableRuns(reply: readonly number[], prompt: readonly number[], references: readonly (readonly number[])[]): number[] {
  const sequence = [...prompt, ...reply];
  const runs: number[] = [];
  for (let i = 0; i < reply.length; i++) {
    let best = 0;
    for (const reference of references) best = Math.max(best, longestAt(reply, i, reference, reference.length));
    const at = prompt.length + i;
    best = Math.max(best, longestAt(sequence, at, sequence, at));
    runs.push(best);
  }
  return runs;
}

/**
 * `runs` as a drafter that copies from where the reply's own tail occurs can
 * know them: at place i, only a copy that already took in the `seen` tokens
 * before i, and only for what is left of it. A lookup predictor finds a copy
 * by its first tokens once the reply has written them, so the copy bound's
 * first `seen` tokens of every copy are out of its reach (a copy may still
 * begin mid-way through another).
 */
export function seenRuns(runs: readonly number[], seen: number): number[] {
  return runs.map((_, i) => {
    let known = 0;
    for (let j = seen; j <= i; j++) known = Math.max(known, runs[i - j]! - j);
    return known;
  });
}

/** The longest run of `target` from `start` that equals `source` from some place before `before`. */
function longestAt(target: readonly number[], start: number, source: readonly number[], before: number): number {
  let best = 0;
  for (let q = 0; q < before; q++) {
    if (source[q] !== target[start]) continue;
    let length = 0;
    while (start + length < target.length && q + length < source.length && source[q + length] === target[start + length]) length++;
    best = Math.max(best, length);
  }
  return best;
}

/** The curve's cost of a batch of 1..n tokens over one token, both after `cachedTokens`: the oracles' prices. */
export function relativeAt(curve: Omit<CostCurve, "exactBatch">, cachedTokens: number): number[] {
  return curve.relative.map((_, i) => batchCost(curve, i + 1, cachedTokens) / batchCost(curve, 1, cachedTokens));
}

/** The longest draft an oracle makes: the engine's longest, within the exact batch. */
export function oracleMaxDraft(curve: CostCurve): number {
  return Math.min(maxDraftLength, curve.exactBatch - 1);
}

/**
 * What the copy oracle and the lookup oracle (copies known once their first token is written) pay
 * for `reply`, in one-token passes after its first token, each pass priced by `curve` after the
 * prompt (a batch deep in a long prompt costs more single tokens than after a short one); `drafted`
 * counts the copy oracle's drafted tokens.
 */
export function oracleCosts(
  reply: readonly number[],
  prompt: readonly number[],
  references: readonly (readonly number[])[],
  curve: CostCurve,
): { cost: number; drafted: number; lookupCost: number } {
  const runs = copyableRuns(reply, prompt, references);
  const relative = relativeAt(curve, prompt.length);
  const maxDraft = oracleMaxDraft(curve);
  const { cost, drafted } = fastestPasses(runs, relative, maxDraft);
  return { cost, drafted, lookupCost: fastestPasses(seenRuns(runs, 1), relative, maxDraft).cost };
}

/**
 * The least total cost, in one-token passes, of the passes after the first
 * token (which comes from the prompt pass either way), when a pass at place i
 * may draft up to `runs[i]` tokens and never more than `maxDraft`;
 * `relative[n - 1]` is the cost of a batch of n. `drafted` counts the tokens
 * those passes draft.
 */
export function fastestPasses(runs: readonly number[], relative: readonly number[], maxDraft: number): { cost: number; drafted: number } {
  const n = runs.length;
  const cost = new Array<number>(n + 1).fill(0);
  const draft = new Array<number>(n + 1).fill(0);
  for (let i = n - 1; i >= 1; i--) {
    cost[i] = Infinity;
    for (let d = 0; d <= Math.min(runs[i]!, maxDraft, relative.length - 1); d++) {
      const total = relative[d]! + cost[Math.min(n, i + d + 1)]!;
      if (total < cost[i]!) {
        cost[i] = total;
        draft[i] = d;
      }
    }
  }
  let drafted = 0;
  for (let i = 1; i < n; i += draft[i]! + 1) drafted += Math.min(draft[i]!, n - i);
  return { cost: n > 1 ? cost[1]! : 0, drafted };
}
