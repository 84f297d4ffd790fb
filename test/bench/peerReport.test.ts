import { describe, expect, it } from "vitest";
import {
  commonPrefix,
  formatPeerReport,
  sameTokens,
  spread,
  summarizeForced,
  summarizeKinds,
  type PeerModeResult,
  type PeerTurnRow,
} from "./peerReport";
import { peerModes, type PeerMode } from "./peerServer";

function peerResult(tokens: number, ms: number, identicalToPlain = true): PeerModeResult {
  return { tokens, ms, tokensPerSecond: tokens / (ms / 1000), drafted: 0, accepted: 0, identicalToPlain };
}

function row(id: string, turn: number, plainMs: number, changes: Partial<Record<PeerMode, PeerModeResult>> = {}, baselineSame = true): PeerTurnRow {
  const peer = Object.fromEntries(peerModes.map((mode) => [mode, peerResult(100, plainMs)])) as Record<PeerMode, PeerModeResult>;
  return {
    id,
    kind: "multi-turn",
    turn,
    reprise: { baseline: { tokens: 100, ms: 1000 }, builtin: { tokens: 100, ms: 800 }, reference: { tokens: 100, ms: 500 } },
    peer: { ...peer, ...changes },
    baselineVsPlain: { identical: baselineSame, commonPrefixTokens: baselineSame ? 100 : 37 },
  };
}

describe("token comparison", () => {
  it("counts the tokens two replies share from the start", () => {
    expect(commonPrefix([1, 2, 3, 4], [1, 2, 9, 4])).toBe(2);
    expect(commonPrefix([1, 2], [1, 2, 3])).toBe(2);
    expect(commonPrefix([], [1])).toBe(0);
  });

  it("calls replies the same only when every token and the length agree", () => {
    expect(sameTokens([1, 2, 3], [1, 2, 3])).toBe(true);
    expect(sameTokens([1, 2], [1, 2, 3])).toBe(false);
    expect(sameTokens([1, 2, 4], [1, 2, 3])).toBe(false);
  });
});

describe("summarizeKinds", () => {
  it("divides each mode's tokens per second, summed over the kind's turns, by llama-server plain's", () => {
    // plain: 200 tokens in 2.5 s = 80/s; Reprise baseline 200 in 2 s = 100/s; reference 200 in 1 s = 200/s.
    const rows = [
      row("a", 0, 1000, { "ngram-mod": peerResult(100, 500, false) }),
      row("a", 1, 1500, { "ngram-mod": peerResult(100, 500) }, false),
    ];
    const k = summarizeKinds(rows)["multi-turn"]!;
    expect(k.turns).toBe(2);
    expect(k.plainTokensPerSecond).toBeCloseTo(80);
    expect(k.overPlain.plain).toBeCloseTo(1);
    expect(k.overPlain.baseline).toBeCloseTo(100 / 80);
    expect(k.overPlain.builtin).toBeCloseTo(125 / 80);
    expect(k.overPlain.reference).toBeCloseTo(200 / 80);
    expect(k.overPlain["ngram-mod"]).toBeCloseTo(200 / 80);
    expect(k.differsFromPlain["ngram-mod"]).toBe(1);
    expect(k.differsFromPlain["ngram-simple"]).toBe(0);
    expect(k.baselineDiffers).toBe(1);
    expect(k.firstBaselineDifference).toEqual({ id: "a", turn: 1, commonPrefixTokens: 37 });
  });

  it("keeps kinds apart and names no difference where there is none", () => {
    const other = { ...row("b", 0, 1000), kind: "none" as const };
    const summary = summarizeKinds([row("a", 0, 1000), other]);
    expect(Object.keys(summary).sort()).toEqual(["multi-turn", "none"]);
    expect(summary.none!.turns).toBe(1);
    expect(summary.none!.firstBaselineDifference).toBeNull();
  });
});

describe("forced-length figures", () => {
  it("takes the smallest and the middle value", () => {
    expect(spread([3, 1, 2])).toEqual({ min: 1, median: 2 });
    expect(spread([4, 1, 2, 3])).toEqual({ min: 1, median: 2.5 });
    expect(() => spread([])).toThrow();
  });

  it("gives Reprise's median decoding rate over llama-server's", () => {
    const run = (decode: number) => ({ tokensPerSecond: decode / 2, decodeTokensPerSecond: decode });
    const forced = summarizeForced(200, [run(60), run(90), run(80)], [run(100), run(120), run(160)], 150);
    expect(forced.reprise.decodeTokensPerSecond).toEqual({ min: 60, median: 80 });
    expect(forced.peer.tokensPerSecond).toEqual({ min: 50, median: 60 });
    expect(forced.decodeRatio).toBeCloseTo(80 / 120);
    expect(forced.repetitions).toBe(3);
  });
});

describe("formatPeerReport", () => {
  it("prints every mode's ratio, marks llama-server modes that changed its output, and names the first difference", () => {
    const lines = formatPeerReport(summarizeKinds([row("a", 0, 1000, { "ngram-simple": peerResult(100, 500, false) }, false)]), null);
    const kindLine = lines.find((line) => line.startsWith("multi-turn") && line.includes("x"))!;
    expect(kindLine).toContain("1.00x"); // baseline and plain
    expect(kindLine).toContain("2.00x(1)"); // ngram-simple: twice as fast, one turn changed
    expect(lines.join("\n")).toContain("differs on 1 of 1 turns; first: a t0, after 37 equal tokens");
  });
});
