import { describe, expect, it } from "vitest";
import { batchCost, DraftPolicy, evidenceOf, maxDraftLength, sustainedMatch } from "../../electron/engine/draftPolicy";
import { flatCurve } from "./flatCurve";

const curve = (perToken: number) => flatCurve(Array.from({ length: maxDraftLength + 1 }, (_, i) => 1 + i * perToken), 20);

describe("DraftPolicy", () => {
  it("drafts long when verification is nearly free and evidence is strong", () => {
    const policy = new DraftPolicy(curve(0.0001));
    expect(policy.length("continuation", 100, 0)).toBe(maxDraftLength);
    expect(policy.length("long", 5, 0)).toBe(5);
  });

  it("never drafts past the largest batch that evaluates exactly", () => {
    const policy = new DraftPolicy({ ...curve(0.001), exactBatch: 3 });
    expect(policy.length("continuation", 100, 0)).toBe(2);
    expect(new DraftPolicy({ ...curve(0.001), exactBatch: 1 }).length("continuation", 100, 0)).toBe(0);
  });

  it("does not draft when each drafted token costs as much as decoding it", () => {
    const policy = new DraftPolicy(curve(1));
    for (const evidence of ["sustained", "continuation", "long", "medium", "short", "single"] as const)
      expect(policy.length(evidence, 100, 0)).toBe(0);
  });

  it("does not draft on a single-token match when verification costs something", () => {
    expect(new DraftPolicy(curve(0.3)).length("single", 100, 0)).toBe(0);
  });

  it("drafts shorter, then not at all, as drafts keep being rejected", () => {
    const policy = new DraftPolicy(curve(0.15));
    const before = policy.length("medium", 100, 0);
    expect(before).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) policy.record({ evidence: "medium", drafted: 4, accepted: 0, complete: true });
    expect(policy.length("medium", 100, 0)).toBe(0);
    expect(policy.rates("medium").first).toBeLessThan(0.2);
  });

  it("learns that continuations keep matching", () => {
    const policy = new DraftPolicy(curve(0.25));
    const before = policy.length("continuation", 100, 0);
    for (let i = 0; i < 20; i++) policy.record({ evidence: "continuation", drafted: 8, accepted: 8, complete: true });
    expect(policy.rates("continuation").next).toBeGreaterThan(0.95);
    expect(policy.length("continuation", 100, 0)).toBeGreaterThan(before);
  });

  it("an unfinished draft counts only what was seen", () => {
    const policy = new DraftPolicy(curve(0.1));
    const before = policy.rates("long");
    policy.record({ evidence: "long", drafted: 8, accepted: 0, complete: false });
    expect(policy.rates("long")).toEqual(before);
  });

  it("follows the pass times it observes rather than the calibration", () => {
    const busy = new DraftPolicy({ ...curve(0.01), exactBatch: 3 });
    expect(busy.length("medium", 100, 0)).toBe(2);
    // The machine got busy: a batch of 2 or 3 now costs three single passes.
    for (let i = 0; i < 60; i++) {
      busy.observePass(1, 20, 0);
      busy.observePass(2, 60, 0);
      busy.observePass(3, 60, 0);
    }
    expect(busy.relativeCost(2, 0)).toBeGreaterThan(2.5);
    expect(busy.length("medium", 100, 0)).toBe(0);
  });

  it("tries a draft again on strong evidence after many passes without one", () => {
    const policy = new DraftPolicy({ ...curve(1), exactBatch: 3 });
    expect(policy.length("continuation", 100, 0)).toBe(0);
    for (let i = 0; i < 64; i++) policy.observePass(1, 20, 0);
    expect(policy.length("medium", 100, 0)).toBe(0);
    expect(policy.length("continuation", 100, 0)).toBe(2);
    policy.observePass(3, 60, 0);
    expect(policy.length("continuation", 100, 0)).toBe(1);
  });

  it("prices batches by the depth of the cache, and drafts shorter deep in it", () => {
    // The shape measured on a 2-core CPU: after 600 tokens one token costs 1.7 times what it costs
    // after 24, a batch of 8 eight times.
    const sizes = maxDraftLength + 1;
    const relative = Array.from({ length: sizes }, (_, i) => 1 + 0.3 * i);
    const deepRelative = Array.from({ length: sizes }, (_, i) => 1.7 * (1 + 0.55 * i));
    const deep = { cachedTokens: 600, relative: deepRelative };
    const policy = new DraftPolicy({ relative, singleTokenMs: 13, cachedTokens: 24, deep, exactBatch: sizes });
    expect(batchCost(policy.cost, 8, 24)).toBeCloseTo(relative[7]!);
    expect(batchCost(policy.cost, 8, 600)).toBeCloseTo(deepRelative[7]!);
    expect(batchCost(policy.cost, 8, 312)).toBeCloseTo((relative[7]! + deepRelative[7]!) / 2);
    expect(batchCost(policy.cost, 8, 0)).toBeCloseTo(relative[7]!);
    expect(policy.plainStepMs(600)).toBeCloseTo(13 * 1.7);
    expect(policy.relativeCost(8, 600)).toBeCloseTo(1 + 0.55 * 7);
    const shallow = policy.length("continuation", 100, 24);
    const deepLength = policy.length("continuation", 100, 600);
    expect(deepLength).toBeGreaterThan(0);
    expect(deepLength).toBeLessThan(shallow);
    // Passes timed deep in the cache are judged against the curve at their depth: as priced, no load.
    for (let i = 0; i < 20; i++) policy.observePass(8, batchCost(policy.cost, 8, 900) * 13, 900);
    expect(policy.relativeCost(8, 900)).toBeCloseTo(batchCost(policy.cost, 8, 900) / batchCost(policy.cost, 1, 900));
  });

  it("ignores a pass far slower than usual", () => {
    const policy = new DraftPolicy(curve(0.1));
    policy.observePass(1, 20 * 100, 0);
    expect(policy.relativeCost(2, 0)).toBeCloseTo(1.1);
  });

  it("grades evidence by match length, span continuity and rival matches", () => {
    expect(evidenceOf(1, true, false)).toBe("continuation");
    expect(evidenceOf(sustainedMatch, true, false)).toBe("sustained");
    expect(evidenceOf(sustainedMatch, false, false)).toBe("long");
    expect(evidenceOf(12, false, false)).toBe("long");
    expect(evidenceOf(5, false, false)).toBe("medium");
    expect(evidenceOf(2, false, false)).toBe("short");
    expect(evidenceOf(1, false, false)).toBe("single");
    // Rival matches that disagree on the next token outweigh length, but not a span being copied.
    expect(evidenceOf(12, false, true)).toBe("contested");
    expect(evidenceOf(sustainedMatch, true, true)).toBe("sustained");
  });

  it("drafts further on a span that has matched for long than on one just begun", () => {
    // The shape measured on a 2-core CPU: a batch of 33 costs about 10 tokens.
    const relative = Array.from({ length: maxDraftLength + 1 }, (_, i) => 1 + 0.28 * i);
    const policy = new DraftPolicy(flatCurve(relative, 16));
    expect(policy.length("sustained", 100, 0)).toBeGreaterThan(policy.length("continuation", 100, 0));
  });

  it("learns where drafts tend to break, and stops just before", () => {
    const policy = new DraftPolicy(curve(0.05));
    // Spans that always hold for 8 tokens and break on the 9th.
    for (let i = 0; i < 40; i++) policy.record({ evidence: "continuation", drafted: 16, accepted: 8, complete: true });
    expect(policy.length("continuation", 100, 0)).toBe(8);
    // Fully accepted long drafts teach the opposite.
    for (let i = 0; i < 40; i++) policy.record({ evidence: "sustained", drafted: 32, accepted: 32, complete: true });
    expect(policy.length("sustained", 100, 0)).toBe(maxDraftLength);
  });

  it("follows recent drafts over old ones", () => {
    const policy = new DraftPolicy(curve(0.3));
    for (let i = 0; i < 200; i++) policy.record({ evidence: "long", drafted: 4, accepted: 4, complete: true });
    expect(policy.length("long", 100, 0)).toBeGreaterThan(0);
    // The passage stopped matching: thirty refusals outweigh two hundred old successes.
    for (let i = 0; i < 30; i++) policy.record({ evidence: "long", drafted: 4, accepted: 0, complete: true });
    expect(policy.length("long", 100, 0)).toBe(0);
  });

  it("weighs what the current reply shows against all replies before it", () => {
    const policy = new DraftPolicy(curve(0.5));
    for (let i = 0; i < 200; i++) policy.record({ evidence: "long", drafted: 4, accepted: 4, complete: true });
    policy.startReply();
    expect(policy.length("long", 100, 0)).toBeGreaterThan(0);
    // This reply's source stopped matching: three refusals are enough to stop drafting on it.
    for (let i = 0; i < 3; i++) policy.record({ evidence: "long", drafted: 4, accepted: 0, complete: true });
    expect(policy.length("long", 100, 0)).toBe(0);
    // The next reply starts again from the record of all replies.
    policy.startReply();
    expect(policy.length("long", 100, 0)).toBeGreaterThan(0);
  });

  it("drafts shorter on every kind of evidence in a reply that refuses more guesses than expected", () => {
    const policy = new DraftPolicy(curve(0.5));
    for (let i = 0; i < 50; i++) {
      policy.record({ evidence: "short", drafted: 20, accepted: 20, complete: true });
      policy.record({ evidence: "medium", drafted: 4, accepted: 2, complete: true });
    }
    policy.startReply();
    const fresh = policy.length("short", 100, 0);
    expect(fresh).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) policy.record({ evidence: "medium", drafted: 4, accepted: 0, complete: true });
    const refused = policy.length("short", 100, 0);
    expect(refused).toBeLessThan(fresh);
    // Guesses accepted as often as expected leave the next reply's drafts as they were.
    policy.startReply();
    for (let i = 0; i < 3; i++) policy.record({ evidence: "short", drafted: 20, accepted: 20, complete: true });
    expect(policy.length("short", 100, 0)).toBe(fresh);
  });

  it("measures a plain decoding step from single tokens after single tokens, even on an assumed curve", () => {
    const policy = new DraftPolicy(curve(0.05), false, 12);
    expect(policy.plainStepMs(0)).toBe(12);
    // A single token right after a draft pays for the refused tokens too: not a plain step.
    policy.observePass(9, 40, 0);
    policy.observePass(1, 60, 0);
    expect(policy.plainStepMs(0)).toBe(12);
    for (let i = 0; i < 100; i++) policy.observePass(1, 15, 0);
    expect(policy.plainStepMs(0)).toBeCloseTo(15, 3);
    // The assumed curve itself is left as it was given.
    expect(policy.relativeCost(9, 0)).toBeCloseTo(curve(0.05).relative[8]!, 10);
  });
});
