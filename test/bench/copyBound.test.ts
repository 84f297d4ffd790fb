import { describe, expect, it } from "vitest";
import { copyableRuns, fastestPasses, seenRuns } from "./copyBound";

describe("copyableRuns", () => {
  it("measures how far the reply equals its prompt or a reference from each place", () => {
    expect(copyableRuns([1, 2, 3, 9, 8, 4], [7, 1, 2, 3], [[0, 9, 8]])).toEqual([3, 2, 1, 2, 1, 0]);
  });

  it("lets a copy of the reply's own earlier tokens run on into the tokens it produces", () => {
    expect(copyableRuns([1, 2, 1, 2, 1, 2], [5], [])).toEqual([0, 0, 4, 3, 2, 1]);
  });
});

describe("seenRuns", () => {
  it("keeps of each copy what is left once its first tokens are written", () => {
    expect(seenRuns([3, 2, 1, 0, 4, 3, 2, 1], 1)).toEqual([0, 2, 1, 0, 0, 3, 2, 1]);
    expect(seenRuns([3, 2, 1, 0, 4, 3, 2, 1], 2)).toEqual([0, 0, 1, 0, 0, 0, 2, 1]);
  });

  it("lets a copy begun earlier carry past a shorter one that begins inside it", () => {
    expect(seenRuns([5, 1, 3, 2, 1], 1)).toEqual([0, 4, 3, 2, 1]);
  });

  it("is the runs themselves when nothing need be seen", () => {
    expect(seenRuns([2, 1, 0, 1], 0)).toEqual([2, 1, 0, 1]);
  });
});

describe("fastestPasses", () => {
  const relative = [1, 1.5, 1.8, 2.0];

  it("costs one pass per token after the first when nothing can be copied", () => {
    expect(fastestPasses([0, 0, 0, 0, 0], relative, 3)).toEqual({ cost: 4, drafted: 0 });
  });

  it("drafts each copyable run in the cheapest passes the curve allows", () => {
    expect(fastestPasses([0, 3, 2, 1, 0], relative, 3)).toEqual({ cost: 2.0, drafted: 3 });
    // Drafts of one token at most: two passes of a batch of two.
    expect(fastestPasses([0, 3, 2, 1, 0], relative, 1)).toEqual({ cost: 3.0, drafted: 2 });
  });
});
