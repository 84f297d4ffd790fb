/**
 * Row heights of a virtualized list: estimated until a row is measured, with
 * prefix sums in a Fenwick tree so that one measurement and one "which row is
 * at this pixel" question each cost O(log n), even with 10,000 rows.
 */
export class HeightIndex {
  private readonly heights: Float64Array;
  private tree = new Float64Array(1);

  /** `known` gives heights measured before (say, for the same message in an earlier version of the list). */
  constructor(
    readonly count: number,
    estimate: number,
    known?: (index: number) => number | undefined,
  ) {
    this.heights = new Float64Array(count).fill(estimate);
    for (let i = 0; known && i < count; i++) {
      const height = known(i);
      if (height !== undefined) this.heights[i] = height;
    }
    this.rebuild();
  }

  private rebuild(): void {
    // Linear-time Fenwick construction: each node passes its sum to its parent once.
    const tree = new Float64Array(this.count + 1);
    for (let i = 1; i <= this.count; i++) {
      tree[i]! += this.heights[i - 1]!;
      const parent = i + (i & -i);
      if (parent <= this.count) tree[parent]! += tree[i]!;
    }
    this.tree = tree;
  }

  height(index: number): number {
    return this.heights[index]!;
  }

  /** Records a measured height; returns how much the row grew (negative if it shrank). */
  set(index: number, height: number): number {
    const delta = height - this.heights[index]!;
    if (delta === 0) return 0;
    this.heights[index] = height;
    for (let i = index + 1; i <= this.count; i += i & -i) this.tree[i]! += delta;
    return delta;
  }

  /** The top of row `index` (the sum of the heights before it). */
  offset(index: number): number {
    let sum = 0;
    for (let i = Math.min(index, this.count); i > 0; i -= i & -i) sum += this.tree[i]!;
    return sum;
  }

  get total(): number {
    return this.offset(this.count);
  }

  /** The row that contains pixel `y`, clamped to the list. */
  indexAt(y: number): number {
    if (this.count === 0) return 0;
    let index = 0;
    let remaining = y;
    for (let step = 1 << Math.floor(Math.log2(this.count)); step > 0; step >>= 1) {
      const next = index + step;
      if (next <= this.count && this.tree[next]! <= remaining) {
        index = next;
        remaining -= this.tree[next]!;
      }
    }
    return Math.min(index, this.count - 1);
  }
}

/** The rows to render for a viewport, with `overscan` pixels above and below. */
export function visibleRange(
  index: HeightIndex,
  scrollTop: number,
  viewportHeight: number,
  overscan: number,
): { start: number; end: number } {
  if (index.count === 0) return { start: 0, end: 0 };
  const start = index.indexAt(Math.max(0, scrollTop - overscan));
  const end = index.indexAt(scrollTop + viewportHeight + overscan) + 1;
  return { start, end: Math.min(end, index.count) };
}
