import type { MessageStats } from "../../../electron/api/contract";

/** The part of a reply's stats that the speed badge reads. */
export type SpeedStats = Pick<
  MessageStats,
  "tokens" | "forwardPasses" | "drafted" | "accepted" | "ms" | "tokensPerSecond" | "drafting" | "speedup" | "sampling"
>;

export interface SpeedSummary {
  /** "42.1 tok/s" */
  rate: string;
  /** "2.4× faster", or null when the reply was not measurably faster than plain decoding. */
  speedup: string | null;
  /** "38% drafted from references", or null when no drafted token was kept. */
  drafted: string | null;
  /** Explains how the numbers were obtained; shown as the badge's tooltip. */
  explanation: string;
}

function round1(value: number): string {
  return (Math.round(value * 10) / 10).toFixed(1);
}

/** Below this the badge claims no speed-up: it would be within the noise of one machine's timings. */
const noticeableSpeedup = 1.05;

/**
 * The speed badge's words. "N× faster" is a time ratio: the time plain decoding of this model would
 * have taken on this machine (the reply's time to its first token, then one measured single-token
 * step per token) over the time the reply took. Tokens per forward pass is a different number (a
 * pass that verifies a draft costs more than a plain one); the tooltip gives both and says which is
 * which.
 */
export function summarizeSpeed(stats: SpeedStats): SpeedSummary {
  const rate = `${round1(stats.tokensPerSecond)} tok/s`;
  const seconds = (stats.ms / 1000).toFixed(1);
  const base = `${stats.tokens} tokens in ${seconds} s, ${stats.forwardPasses} forward passes`;
  const exactness =
    stats.sampling && stats.sampling.temperature > 0
      ? `sampled at temperature ${stats.sampling.temperature}: drafting keeps the model's distribution`
      : "the text is exactly what plain decoding writes";
  if (stats.drafting && !stats.drafting.on) {
    return {
      rate,
      speedup: null,
      drafted: null,
      explanation: `${base}. Drafting from references was off${stats.drafting.reason ? `: ${stats.drafting.reason}` : ""}.`,
    };
  }
  if (stats.accepted === 0 || stats.forwardPasses <= 0 || stats.tokens <= 0) {
    return { rate, speedup: null, drafted: null, explanation: `${base}. No drafted token was kept for this reply.` };
  }
  const perPass = `${round1(stats.tokens / stats.forwardPasses)} tokens per forward pass, where plain decoding makes 1`;
  const drafted = `${Math.round((100 * stats.accepted) / stats.tokens)}% drafted from references`;
  const kept = `${stats.accepted} of ${stats.drafted} drafted tokens were kept; ${exactness}.`;
  // Stats written before the time ratio was measured have none: no time claim for those.
  const speedup = stats.speedup ?? null;
  if (speedup === null || speedup < noticeableSpeedup) {
    const time = speedup === null ? "" : ` In time, ${round1(speedup)}× plain decoding's speed: no faster.`;
    return { rate, speedup: null, drafted, explanation: `${base}: ${perPass}.${time} ${kept}` };
  }
  return {
    rate,
    speedup: `${round1(speedup)}× faster`,
    drafted,
    explanation:
      `${base}. ${round1(speedup)}× faster in time than plain decoding of this model on this computer ` +
      `(its measured time per token); ${perPass}. ${kept}`,
  };
}
