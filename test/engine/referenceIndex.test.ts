import { describe, expect, it } from "vitest";
import { ReferenceIndex } from "../../electron/engine/referenceIndex";

const summary = (matches: ReturnType<ReferenceIndex["find"]>) =>
  matches.map((m) => ({ doc: m.doc.id, next: m.next, length: m.length })).sort((a, b) => b.length - a.length || a.next - b.next);

describe("ReferenceIndex", () => {
  it("finds the longest match of the tail and where the copy starts", () => {
    const index = new ReferenceIndex();
    index.set("a", [1, 2, 3, 4, 5, 9, 3, 4, 6]);
    const matches = summary(index.find([7, 2, 3, 4]));
    expect(matches).toEqual([
      { doc: "a", next: 4, length: 3 },
      { doc: "a", next: 8, length: 2 },
    ]);
  });

  it("caps the reported length at maxMatchLength", () => {
    const index = new ReferenceIndex(4);
    index.set("a", [1, 2, 3, 4, 5, 6, 7]);
    expect(summary(index.find([1, 2, 3, 4, 5, 6]))).toEqual([{ doc: "a", next: 6, length: 4 }]);
  });

  it("searches several sources at once", () => {
    const index = new ReferenceIndex();
    index.set("past-1", [10, 11, 12, 13]);
    index.set("past-2", [5, 11, 12, 14]);
    index.set("past-3", [20, 21]);
    expect(summary(index.find([10, 11, 12]))).toEqual([
      { doc: "past-1", next: 3, length: 3 },
      { doc: "past-2", next: 3, length: 2 },
    ]);
  });

  it("ignores a match with nothing after it", () => {
    const index = new ReferenceIndex();
    index.set("a", [1, 2, 3]);
    expect(index.find([2, 3])).toEqual([]);
  });

  it("finds nothing when no pair matches, and single tokens only where asked", () => {
    const index = new ReferenceIndex();
    const doc = index.set("a", [1, 2, 3, 4]);
    expect(index.find([8, 9])).toEqual([]);
    expect(index.find([8, 3])).toEqual([]);
    expect(summary(index.find([8, 3], [doc]))).toEqual([{ doc: "a", next: 3, length: 1 }]);
    expect(index.find([])).toEqual([]);
  });

  it("indexes tokens as they arrive", () => {
    const index = new ReferenceIndex();
    const doc = index.set("context", [1, 2]);
    expect(index.find([1, 2])).toEqual([]);
    index.append(doc, [3]);
    expect(summary(index.find([1, 2]))).toEqual([{ doc: "context", next: 2, length: 2 }]);
    index.append(doc, [1, 2]);
    // The tail [1, 2] now also stands at the end, with nothing after it: only the first place counts.
    expect(summary(index.find([1, 2]))).toEqual([{ doc: "context", next: 2, length: 2 }]);
  });

  it("replace re-indexes only what changed, and truncate forgets what was cut", () => {
    const index = new ReferenceIndex();
    const doc = index.set("context", [1, 2, 3, 4, 5]);
    index.replace(doc, [1, 2, 3, 7, 8]);
    expect(doc.tokens).toEqual([1, 2, 3, 7, 8]);
    expect(index.find([3, 4])).toEqual([]);
    expect(summary(index.find([2, 3]))).toEqual([{ doc: "context", next: 3, length: 2 }]);
    index.truncate(doc, 2);
    expect(doc.tokens).toEqual([1, 2]);
    expect(index.find([2, 3])).toEqual([]);
    expect(index.find([1, 2])).toEqual([]);
  });

  it("set replaces a document with the same id and delete removes it", () => {
    const index = new ReferenceIndex();
    index.set("a", [1, 2, 3]);
    index.set("a", [4, 5, 6]);
    expect(index.find([1, 2])).toEqual([]);
    expect(summary(index.find([4, 5]))).toEqual([{ doc: "a", next: 2, length: 2 }]);
    index.delete("a");
    expect(index.size).toBe(0);
    expect(index.find([4, 5])).toEqual([]);
  });
});
