import { describe, expect, it } from "vitest";
import { chiSquareHomogeneity, upperRegularizedGamma } from "./chiSquare";

describe("chi-square test", () => {
  it("gives the tabulated tail probabilities", () => {
    // Critical values at 5% and 0.1% for 1, 4 and 30 degrees of freedom.
    expect(upperRegularizedGamma(1 / 2, 3.841 / 2)).toBeCloseTo(0.05, 4);
    expect(upperRegularizedGamma(4 / 2, 9.488 / 2)).toBeCloseTo(0.05, 4);
    expect(upperRegularizedGamma(30 / 2, 59.703 / 2)).toBeCloseTo(0.001, 5);
  });

  it("accepts two samples of one distribution and rejects two different ones", () => {
    const repeat = (counts: Record<string, number>) => Object.entries(counts).flatMap(([c, n]) => Array<string>(n).fill(c));
    const same = chiSquareHomogeneity(repeat({ a: 50, b: 30, c: 20 }), repeat({ a: 52, b: 29, c: 19 }));
    expect(same.pValue).toBeGreaterThan(0.5);
    const different = chiSquareHomogeneity(repeat({ a: 50, b: 30, c: 20 }), repeat({ a: 20, b: 30, c: 50 }));
    expect(different.pValue).toBeLessThan(1e-5);
  });

  it("pools rare categories so that no expected count is tiny", () => {
    const result = chiSquareHomogeneity(["a", "a", "x", "y", ...Array<string>(20).fill("b")], ["z", ...Array<string>(20).fill("b")]);
    expect(result.categories).toBe(2);
  });
});
