import { maxDraftLength, type CostCurve } from "../../electron/engine/draftPolicy";

/** A cost curve on which the cache's depth changes nothing: `relative` at every depth. */
export function flatCurve(relative: number[], singleTokenMs: number, exactBatch = maxDraftLength + 1): CostCurve {
  return { relative, singleTokenMs, cachedTokens: 0, deep: { cachedTokens: 1000, relative }, exactBatch };
}
