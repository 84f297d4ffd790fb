import { describe, expect, it } from "vitest";
import { cheapVerification } from "../../electron/engine/draftPolicy";
import { replayTrace } from "./replay";
import type { Trace, TracedTurn } from "./trace";

const costCurve = { ...cheapVerification, exactBatch: 33 };
const passage = Array.from({ length: 60 }, (_, i) => 1000 + i);

function turn(reply: number[], references: TracedTurn["references"]): TracedTurn {
  return { id: "case", kind: "cache", turn: 0, conversation: "c", maxTokens: 200, prompt: [1, 2, 3], references, reply };
}

describe("replayTrace", () => {
  it("drafts a reply that repeats a reference and prices its passes below plain decoding, never below the copy bound", () => {
    const trace: Trace = { costCurve, turns: [turn([9, ...passage], [{ id: "past", tokens: [5, 7, ...passage] }])] };
    const [replayed] = replayTrace(trace);
    expect(replayed!.accepted).toBeGreaterThan(50);
    expect(replayed!.accepted).toBeLessThanOrEqual(replayed!.drafted);
    expect(replayed!.cost).toBeLessThan(replayed!.tokens - 1);
    expect(replayed!.cost).toBeGreaterThanOrEqual(replayed!.lookupOracleCost);
    expect(replayed!.lookupOracleCost).toBeGreaterThan(replayed!.oracleCost);
    // The index finds the copy one token later than the lookup oracle knows it (its matches are pairs), and with one
    // source the chosen match is the only one.
    expect(replayed!.matchOracleCost).toBeGreaterThan(replayed!.lookupOracleCost);
    expect(replayed!.chosenOracleCost).toBe(replayed!.matchOracleCost);
    expect(replayed!.cost).toBeGreaterThan(replayed!.chosenOracleCost);
  });

  it("tells the match the predictor chose from the one the reply followed", () => {
    const older = Array.from({ length: 20 }, (_, i) => 2000 + i);
    const newer = Array.from({ length: 20 }, (_, i) => 2100 + i);
    const trace: Trace = {
      costCurve,
      turns: [turn([9, 50, 51, ...older], [{ id: "older", tokens: [50, 51, ...older] }, { id: "newer", tokens: [50, 51, ...newer] }])],
    };
    const [replayed] = replayTrace(trace);
    // Both past answers match "50 51" as far back; the newer one wins the tie, and the reply follows the older.
    expect(replayed!.chosenOracleCost).toBeGreaterThan(replayed!.matchOracleCost);
    expect(replayed!.matchOracleCost).toBeGreaterThanOrEqual(replayed!.lookupOracleCost);
  });

  it("costs one pass per token after the first when there is nothing to copy", () => {
    const reply = Array.from({ length: 40 }, (_, i) => 3000 + i);
    const [replayed] = replayTrace({ costCurve, turns: [turn(reply, [])] });
    expect(replayed).toMatchObject({ drafted: 0, accepted: 0, cost: 39, oracleCost: 39, lookupOracleCost: 39, chosenOracleCost: 39, matchOracleCost: 39 });
  });
});
