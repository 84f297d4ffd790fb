/** The arithmetic and the tables of the bench's comparison with llama-server (see peer.ts). */
import type { WorkloadKind } from "./workloads";
import { peerModes, type PeerMode } from "./peerServer";

export const repriseModes = ["baseline", "builtin", "reference"] as const;
export type RepriseMode = (typeof repriseModes)[number];

/** Reply tokens and the reply's end-to-end time. */
export interface Timed {
  tokens: number;
  ms: number;
}

export interface PeerModeResult extends Timed {
  tokensPerSecond: number;
  drafted: number;
  accepted: number;
  /** The same token ids as llama-server plain's reply to this turn. */
  identicalToPlain: boolean;
}

/** One workload turn through both engines, each continuing its own conversation. */
export interface PeerTurnRow {
  id: string;
  kind: WorkloadKind;
  turn: number;
  reprise: Record<RepriseMode, Timed>;
  peer: Record<PeerMode, PeerModeResult>;
  /** Reprise baseline's reply against llama-server plain's, token for token. */
  baselineVsPlain: { identical: boolean; commonPrefixTokens: number };
}

export interface PeerKindSummary {
  turns: number;
  plainTokensPerSecond: number;
  /** Tokens per second of each mode of either engine over llama-server plain's, summed over the kind's turns. */
  overPlain: Record<RepriseMode | PeerMode, number>;
  /** Turns where each llama-server mode's reply is not plain's, token for token. */
  differsFromPlain: Record<PeerMode, number>;
  /** Turns where Reprise baseline's reply is not llama-server plain's. */
  baselineDiffers: number;
  /** The first such turn, in workload order, and how many tokens the two replies share from the start. */
  firstBaselineDifference: { id: string; turn: number; commonPrefixTokens: number } | null;
}

/** How many tokens `a` and `b` share from their start. */
export function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

export function sameTokens(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && commonPrefix(a, b) === a.length;
}

const rate = (rows: readonly Timed[]) =>
  rows.reduce((n, r) => n + r.tokens, 0) / (rows.reduce((ms, r) => ms + r.ms, 0) / 1000);

export function summarizeKinds(rows: readonly PeerTurnRow[]): Partial<Record<WorkloadKind, PeerKindSummary>> {
  const summary: Partial<Record<WorkloadKind, PeerKindSummary>> = {};
  for (const kind of new Set(rows.map((r) => r.kind))) {
    const of = rows.filter((r) => r.kind === kind);
    const plain = rate(of.map((r) => r.peer.plain));
    const overPlain = {} as Record<RepriseMode | PeerMode, number>;
    for (const mode of repriseModes) overPlain[mode] = rate(of.map((r) => r.reprise[mode])) / plain;
    for (const mode of peerModes) overPlain[mode] = rate(of.map((r) => r.peer[mode])) / plain;
    const differsFromPlain = {} as Record<PeerMode, number>;
    for (const mode of peerModes) differsFromPlain[mode] = of.filter((r) => !r.peer[mode].identicalToPlain).length;
    const differing = of.filter((r) => !r.baselineVsPlain.identical);
    const first = differing[0];
    summary[kind] = {
      turns: of.length,
      plainTokensPerSecond: plain,
      overPlain,
      differsFromPlain,
      baselineDiffers: differing.length,
      firstBaselineDifference: first
        ? { id: first.id, turn: first.turn, commonPrefixTokens: first.baselineVsPlain.commonPrefixTokens }
        : null,
    };
  }
  return summary;
}

/** One repetition of the forced-length comparison, for one engine. */
export interface ForcedRun {
  /** Tokens over the whole request's time, the prompt pass included. */
  tokensPerSecond: number;
  /** Tokens after the first over the time from the first to the last. */
  decodeTokensPerSecond: number;
}

export interface Spread {
  min: number;
  median: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error("no values to summarize");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return {
    min: sorted[0]!,
    median: sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2,
  };
}

export interface ForcedSummary {
  tokens: number;
  repetitions: number;
  reprise: { tokensPerSecond: Spread; decodeTokensPerSecond: Spread };
  peer: { tokensPerSecond: Spread; decodeTokensPerSecond: Spread };
  /** Reprise's median decoding rate over llama-server's. */
  decodeRatio: number;
  /** How many of the forced tokens the two engines' outputs share from the start (first repetition). */
  commonPrefixTokens: number;
}

export function summarizeForced(
  tokens: number,
  reprise: readonly ForcedRun[],
  peer: readonly ForcedRun[],
  commonPrefixTokens: number,
): ForcedSummary {
  const of = (runs: readonly ForcedRun[]) => ({
    tokensPerSecond: spread(runs.map((r) => r.tokensPerSecond)),
    decodeTokensPerSecond: spread(runs.map((r) => r.decodeTokensPerSecond)),
  });
  const r = of(reprise);
  const p = of(peer);
  return {
    tokens,
    repetitions: reprise.length,
    reprise: r,
    peer: p,
    decodeRatio: r.decodeTokensPerSecond.median / p.decodeTokensPerSecond.median,
    commonPrefixTokens,
  };
}

const columns = [...repriseModes, ...peerModes] as const;

/** The per-kind table and the forced-length lines, as the bench prints them. */
export function formatPeerReport(kinds: Partial<Record<WorkloadKind, PeerKindSummary>>, forced: ForcedSummary | null): string[] {
  const lines = [
    "\nagainst llama-server plain (tokens/s of each mode over llama-server plain's; llama-server modes that changed its greedy output on some turns: (turns))",
    `${"kind".padEnd(12)} ${"turns".padStart(5)} ${"plain/s".padStart(8)}  ` + columns.map((c) => c.padStart(Math.max(c.length, 7))).join(" "),
  ];
  for (const [kind, k] of Object.entries(kinds)) {
    const cells = columns.map((c) => {
      const differs = (peerModes as readonly string[]).includes(c) ? k.differsFromPlain[c as PeerMode] : 0;
      return `${k.overPlain[c].toFixed(2)}x${differs > 0 ? `(${differs})` : ""}`.padStart(Math.max(c.length, 7));
    });
    lines.push(`${kind.padEnd(12)} ${String(k.turns).padStart(5)} ${k.plainTokensPerSecond.toFixed(1).padStart(8)}  ${cells.join(" ")}`);
  }
  lines.push("\nReprise baseline against llama-server plain, token for token (the engines sum attention differently: README)");
  for (const [kind, k] of Object.entries(kinds)) {
    const first = k.firstBaselineDifference;
    lines.push(
      `${kind.padEnd(12)} differs on ${k.baselineDiffers} of ${k.turns} turns` +
        (first ? `; first: ${first.id} t${first.turn}, after ${first.commonPrefixTokens} equal tokens` : ""),
    );
  }
  if (forced) {
    const f = (s: Spread) => `min ${s.min.toFixed(1)}, median ${s.median.toFixed(1)}`;
    lines.push(
      `\nforced length: ${forced.tokens} tokens of plain greedy decoding after one prompt, ${forced.repetitions} repetitions, interleaved (tokens/s)`,
      `  Reprise baseline  decoding ${f(forced.reprise.decodeTokensPerSecond)}; with the prompt pass ${f(forced.reprise.tokensPerSecond)}`,
      `  llama-server      decoding ${f(forced.peer.decodeTokensPerSecond)}; with the prompt pass ${f(forced.peer.tokensPerSecond)}`,
      `  Reprise over llama-server, median decoding: ${forced.decodeRatio.toFixed(2)}x; ` +
        `the two outputs share their first ${forced.commonPrefixTokens} of ${forced.tokens} tokens`,
    );
  }
  return lines;
}
