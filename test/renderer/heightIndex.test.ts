import { describe, expect, it } from "vitest";
import { HeightIndex, visibleRange } from "../../renderer/src/lib/heightIndex";

describe("HeightIndex", () => {
  it("starts from the estimate and from heights known before", () => {
    const index = new HeightIndex(5, 100, (i) => (i === 2 ? 40 : undefined));
    expect(index.total).toBe(440);
    expect(index.offset(3)).toBe(240);
    expect(index.height(2)).toBe(40);
  });

  it("agrees with plain prefix sums after random measurements", () => {
    const count = 10_000;
    const index = new HeightIndex(count, 120);
    const heights = new Array<number>(count).fill(120);
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let n = 0; n < 3000; n++) {
      const i = Math.floor(random() * count);
      const h = 20 + Math.floor(random() * 600);
      expect(index.set(i, h)).toBe(h - heights[i]!);
      heights[i] = h;
    }
    const prefix = [0];
    for (const h of heights) prefix.push(prefix.at(-1)! + h);
    for (const i of [0, 1, 17, 4999, 9999, 10_000]) expect(index.offset(i)).toBe(prefix[i]);
    for (const y of [0, 1, 119, 120, 500_000, prefix[count]! - 1]) {
      const row = index.indexAt(y);
      expect(prefix[row]!).toBeLessThanOrEqual(y);
      expect(prefix[row + 1]!).toBeGreaterThan(y);
    }
  });

  it("clamps positions outside the list", () => {
    const index = new HeightIndex(3, 10);
    expect(index.indexAt(-5)).toBe(0);
    expect(index.indexAt(1000)).toBe(2);
    expect(new HeightIndex(0, 10).indexAt(0)).toBe(0);
  });
});

describe("visibleRange", () => {
  it("covers the viewport and the overscan, and no more", () => {
    const index = new HeightIndex(1000, 50);
    expect(visibleRange(index, 5000, 500, 100)).toEqual({ start: 98, end: 113 });
    expect(visibleRange(index, 0, 500, 100)).toEqual({ start: 0, end: 13 });
    expect(visibleRange(index, 49_500, 500, 100)).toEqual({ start: 988, end: 1000 });
    expect(visibleRange(new HeightIndex(0, 50), 0, 500, 100)).toEqual({ start: 0, end: 0 });
  });
});
