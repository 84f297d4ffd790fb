import type { MessageStats } from "../../../electron/api/contract";

/** The part of a reply's stats that the speed badge reads. */
export type SpeedStats = Pick<MessageStats, "tokens" | "forwardPasses" | "drafted" | "accepted" | "ms" | "tokensPerSecond" | "drafting">;

export interface SpeedSummary {
  /** "42.1 tok/s" */
  rate: string;
  /** "2.4× faster", or null when no drafted token was kept. */
  speedup: string | null;
  /** "38% drafted from references", or null when nothing was drafted. */
  drafted: string | null;
  /** Explains how the numbers were obtained; shown as the badge's tooltip. */
  explanation: string;
}

function round1(value: number): string {
  return (Math.round(value * 10) / 10).toFixed(1);
}

/**
 * The speed badge's words. Without a baseline run the honest estimate of the
 * speedup is tokens per forward pass: each pass that verified a draft would
 * have been several passes of plain decoding. The tooltip says so.
 */
export function summarizeSpeed(stats: SpeedStats): SpeedSummary {
  const rate = `${round1(stats.tokensPerSecond)} tok/s`;
  const seconds = (stats.ms / 1000).toFixed(1);
  const base = `${stats.tokens} tokens in ${seconds} s, ${stats.forwardPasses} forward passes`;
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
  const factor = stats.tokens / stats.forwardPasses;
  const percent = Math.round((100 * stats.accepted) / stats.tokens);
  return {
    rate,
    speedup: `${round1(factor)}× faster`,
    drafted: `${percent}% drafted from references`,
    explanation:
      `${base}: ≈ passes saved, ${round1(factor)} tokens per pass where plain decoding makes 1. ` +
      `${stats.accepted} of ${stats.drafted} drafted tokens were kept; the text is exactly what plain decoding writes.`,
  };
}
