import type { Token } from "node-llama-cpp";
import { describe, expect, it, vi } from "vitest";
import { DraftPolicy, maxDraftLength, sustainedMatch } from "../../electron/engine/draftPolicy";
import { ReferencePredictor } from "../../electron/engine/referencePredictor";
import { flatCurve } from "./flatCurve";

// Verification nearly free and exact at any batch size: drafts are as long as evidence allows.
const cheap = () =>
  new DraftPolicy(flatCurve(Array.from({ length: maxDraftLength + 1 }, (_, i) => 1 + i * 0.01), 10));

const t = (...ids: number[]) => ids as Token[];

function start(predictor: ReferencePredictor, state: number[]): void {
  predictor.reset({ stateTokens: state as Token[] });
}

describe("ReferencePredictor", () => {
  it("never drafts on the prompt pass, then copies what follows the tail in a reference", () => {
    const predictor = new ReferencePredictor(cheap());
    predictor.setReferences([{ id: "past", tokens: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }]);
    start(predictor, [50, 51, 2, 3]);
    expect(predictor.predictTokens()).toEqual([]);
    predictor.pushTokens(t(4));
    const draft = predictor.predictTokens();
    expect(draft[0]).toBe(5);
    expect(draft).toEqual([5, 6, 7, 8, 9, 10].slice(0, draft.length));
  });

  it("counts accepted tokens and records where they were copied from", () => {
    const predictor = new ReferencePredictor(cheap());
    // A clock that ticks 1 ms at every reading, and 1,000 ms whenever the model runs between calls.
    let clock = 0;
    vi.spyOn(performance, "now").mockImplementation(() => clock++);
    const modelRuns = () => (clock += 1000);
    predictor.setReferences([{ id: "past", tokens: [1, 2, 3, 4, 5, 6, 7, 8] }]);
    start(predictor, [9, 1, 2]);
    predictor.predictTokens();
    modelRuns();
    predictor.pushTokens(t(3));
    expect(predictor.predictTokens()).toEqual([4, 5, 6, 7, 8]);
    modelRuns();
    // The model agreed with 4 and 5, then chose 42.
    predictor.pushTokens(t(4));
    predictor.pushTokens(t(5));
    predictor.pushTokens(t(42));
    predictor.predictTokens();
    const stats = predictor.takeStats();
    vi.restoreAllMocks();
    expect(stats.drafted).toBe(5);
    expect(stats.accepted).toBe(2);
    expect(stats.acceptedRuns).toEqual([{ sourceId: "past", sourceStartToken: 3, sourceEndToken: 5, replyStartToken: 1 }]);
    // Its own calls took time on the clock; the model's runs between them are not counted.
    expect(stats.predictorMs).toBeGreaterThan(0);
    expect(stats.predictorMs).toBeLessThan(1000);
  });

  it("finds repeats within the live context itself", () => {
    const predictor = new ReferencePredictor(cheap());
    start(predictor, [7, 8, 9, 10, 11, 12, 7, 8]);
    predictor.predictTokens();
    predictor.pushTokens(t(9));
    expect(predictor.predictTokens()[0]).toBe(10);
  });

  it("drafts nothing when nothing matches, or when turned off", () => {
    const predictor = new ReferencePredictor(cheap());
    predictor.setReferences([{ id: "past", tokens: [1, 2, 3, 4] }]);
    start(predictor, [20, 21]);
    predictor.predictTokens();
    predictor.pushTokens(t(22));
    expect(predictor.predictTokens()).toEqual([]);
    predictor.enabled = false;
    predictor.pushTokens(t(1));
    predictor.pushTokens(t(2));
    expect(predictor.predictTokens()).toEqual([]);
  });

  it("drops references that are no longer handed in", () => {
    const predictor = new ReferencePredictor(cheap());
    predictor.setReferences([{ id: "old", tokens: [1, 2, 3, 4] }]);
    predictor.setReferences([{ id: "new", tokens: [5, 6, 7] }]);
    start(predictor, [0, 1]);
    predictor.predictTokens();
    predictor.pushTokens(t(2));
    expect(predictor.predictTokens()).toEqual([]);
    expect(() => predictor.setReferences([{ id: "context", tokens: [1] }])).toThrow(/reserved/);
  });

  it("copies a repeating passage of the live context on past its end", () => {
    const predictor = new ReferencePredictor(cheap());
    start(predictor, [5, 1, 2, 3, 1, 2]);
    predictor.predictTokens();
    predictor.pushTokens(t(3));
    const draft = predictor.predictTokens();
    expect(draft.length).toBeGreaterThan(3);
    expect(draft).toEqual(Array.from({ length: draft.length }, (_, i) => [1, 2, 3][i % 3]));
  });

  it("never drafts past the reply's token limit", () => {
    const predictor = new ReferencePredictor(cheap());
    predictor.setReferences([{ id: "past", tokens: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }]);
    predictor.replyLimit = 4;
    start(predictor, [1, 2]);
    predictor.predictTokens();
    predictor.pushTokens(t(3));
    // One token written, the pass yields one more after the draft: two drafted fill the limit.
    expect(predictor.predictTokens()).toEqual([4, 5]);
  });

  it("drafts what most of the longest matches agree on, and learns how such drafts fare", () => {
    const policy = cheap();
    const predictor = new ReferencePredictor(policy);
    predictor.setReferences([
      { id: "a", tokens: [1, 2, 3, 7, 8] },
      { id: "b", tokens: [1, 2, 3, 7, 8] },
      // The newest, which would win a tie, disagrees with the other two.
      { id: "c", tokens: [1, 2, 3, 9, 9] },
    ]);
    start(predictor, [0, 1, 2]);
    predictor.predictTokens();
    predictor.pushTokens(t(3));
    const before = policy.rates("contested").first;
    expect(predictor.predictTokens()).toEqual([7, 8]);
    predictor.pushTokens(t(7, 8));
    predictor.takeStats();
    expect(policy.rates("contested").first).toBeGreaterThan(before);
  });

  it("learns acceptance also from passes on which it did not draft", () => {
    // Verification as dear as decoding: nothing is ever drafted.
    const policy = new DraftPolicy(flatCurve(Array.from({ length: maxDraftLength + 1 }, (_, i) => 1 + i), 10));
    const predictor = new ReferencePredictor(policy);
    predictor.setReferences([{ id: "past", tokens: [1, 2, 3, 4, 5, 6, 7, 8] }]);
    start(predictor, [0, 1, 2]);
    predictor.predictTokens();
    const before = policy.rates("short").first;
    for (const token of [3, 4]) {
      predictor.pushTokens(t(token));
      expect(predictor.predictTokens()).toEqual([]);
    }
    predictor.pushTokens(t(5));
    predictor.takeStats();
    expect(policy.rates("short").first).toBeGreaterThan(before);
  });

  it("stops a copy before the end of the source's turn", () => {
    const end = 99;
    const predictor = new ReferencePredictor(cheap(), (token) => token === end);
    predictor.setReferences([{ id: "past", tokens: [1, 2, 3, 4, end, 5, 6] }]);
    start(predictor, [0, 1]);
    predictor.predictTokens();
    predictor.pushTokens(t(2));
    expect(predictor.predictTokens()).toEqual([3, 4]);
  });

  it("trusts a past answer at the start of a reply only when the question matched too", () => {
    // Verification at a third of a token each: a medium match pays, a single token does not.
    const policy = () =>
      new DraftPolicy(flatCurve(Array.from({ length: maxDraftLength + 1 }, (_, i) => 1 + i * 0.3), 10));
    const template = [5, 6, 7, 8];
    const answer = [50, 60, 70, 80, 90];
    const question = Array.from({ length: sustainedMatch }, (_, i) => 100 + i);
    const past = { id: "past", tokens: [...question, ...template, ...answer] };

    // Another question: only the template and the reply's first token match.
    const other = new ReferencePredictor(policy());
    other.setReferences([past]);
    start(other, [1, 2, ...template]);
    other.predictTokens();
    other.pushTokens(t(50));
    expect(other.predictTokens()).toEqual([]);

    // The same question again, long or short: its answer is drafted.
    const short = { id: "short", tokens: [0, 1, 2, ...template, ...answer] };
    for (const [reference, prompt] of [
      [past, [1, ...question, ...template]],
      [short, [42, 1, 2, ...template]],
    ] as const) {
      const same = new ReferencePredictor(policy());
      same.setReferences([reference]);
      start(same, [...prompt]);
      same.predictTokens();
      same.pushTokens(t(50));
      const draft = same.predictTokens();
      expect(draft.length).toBeGreaterThan(0);
      expect(draft).toEqual([60, 70, 80, 90].slice(0, draft.length));
    }
  });

  it("ranks a longer match above a newer document however many documents came before", () => {
    const predictor = new ReferencePredictor(cheap());
    const older = { id: "older", tokens: [1, 2, 3, 40, 41] };
    // Thousands of documents through one predictor, as in a long session: each is newer than the last.
    for (let i = 0; i < 20_000; i++) predictor.setReferences([older, { id: `filler-${i}`, tokens: [7, 7] }]);
    // The newest document matches one token less of the tail, and goes on differently.
    predictor.setReferences([older, { id: "newest", tokens: [2, 3, 50, 51] }]);
    start(predictor, [0, 1, 2]);
    predictor.predictTokens();
    predictor.pushTokens(t(3));
    expect(predictor.predictTokens()).toEqual([40, 41]);
  });
});
