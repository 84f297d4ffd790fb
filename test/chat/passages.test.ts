import { describe, expect, it } from "vitest";
import type { MessageSource, RetrievedPassage } from "../../db/types";
import { creditDocuments, fitPassages, promptWithSources } from "../../electron/chat/passages";
import type { Engine } from "../../electron/engine/engine";

/** One token per word: enough to test budgets without a model. */
const wordEngine = { tokenize: (text: string) => text.split(/\s+/).filter(Boolean).map(() => 1) } as unknown as Engine;

const source = (n: number, text: string, startChar = 0): MessageSource => ({
  n,
  documentId: `doc-${n}`,
  documentName: `file-${n}.txt`,
  startChar,
  endChar: startChar + text.length,
  text,
});

function passage(text: string, hit: string): RetrievedPassage {
  const at = text.indexOf(hit);
  return { documentId: "d", documentName: "d.txt", startChar: 100, endChar: 100 + text.length, text, score: 1, hitStartChar: 100 + at, hitEndChar: 100 + at + hit.length };
}

describe("the question's prompt", () => {
  it("numbers the sources, names their documents, then asks the question and for citations", () => {
    const prompt = promptWithSources("Where?", [source(1, "Alpha text."), source(2, "Beta text.")]);
    expect(prompt).toBe(
      "Sources:\n\n[1] file-1.txt:\nAlpha text.\n\n[2] file-2.txt:\nBeta text.\n\nQuestion: Where?\n\n" +
        "Answer from the sources above. After each sentence that uses a source, write its number in brackets, like [1].",
    );
    expect(promptWithSources("Where?", [])).toBe("Where?");
  });
});

describe("fitting passages", () => {
  it("keeps the best passages within the budget, falls back to a passage's best chunk, and counts what is cut", () => {
    const long = passage("one two three four five six seven eight nine ten", "five six");
    const short = passage("small one", "small one");
    const huge = passage(Array.from({ length: 50 }, (_, i) => `w${i}`).join(" "), Array.from({ length: 30 }, (_, i) => `w${i}`).join(" "));
    // A block is "[n] d.txt:" (2 words) plus the text.
    const { chosen, cut } = fitPassages(wordEngine, [long, huge, short], 12);
    expect(chosen.map((p) => p.text)).toEqual(["one two three four five six seven eight nine ten"]);
    expect(cut).toBe(2);
    const tight = fitPassages(wordEngine, [long, short], 8);
    expect(tight.chosen.map((p) => [p.text, p.startChar, p.endChar])).toEqual([
      ["five six", long.hitStartChar, long.hitEndChar],
      ["small one", short.startChar, short.endChar],
    ]);
    expect(tight.cut).toBe(0);
  });
});

describe("merging chosen passages", () => {
  it("makes touching passages of one document one source, in the better one's place", () => {
    const at = (startChar: number, text: string, documentId = "d"): RetrievedPassage => ({
      documentId,
      documentName: `${documentId}.txt`,
      startChar,
      endChar: startChar + text.length,
      text,
      score: 1,
      hitStartChar: startChar,
      hitEndChar: startChar + text.length,
    });
    const { chosen } = fitPassages(wordEngine, [at(10, "b c "), at(50, "x y", "e"), at(0, "a0 a1 a2 \n"), at(14, "d e")], 100);
    expect(chosen.map((p) => [p.documentId, p.startChar, p.endChar, p.text])).toEqual([
      ["d", 0, 17, "a0 a1 a2 \nb c d e"],
      ["e", 50, 53, "x y"],
    ]);
  });
});

describe("crediting copied spans to documents", () => {
  const reply = "Put them into /usr/local/share/ca-certificates/ and run it.";
  const copied = { replyStartChar: 14, replyEndChar: 47 };

  it("credits a span copied from a question's passage to the passage's document, with where it is there", () => {
    const passageText = "files ending with .crt into /usr/local/share/ca-certificates/ and re-run";
    const spans = creditDocuments(
      [{ sourceId: "question-1", ...copied, sourceStartToken: 40, sourceEndToken: 52 }],
      reply,
      new Map([["question-1", [source(1, passageText, 1000)]]]),
      () => undefined,
    );
    const at = 1000 + passageText.indexOf("/usr/local");
    expect(spans).toEqual([{ sourceId: "doc-1", ...copied, sourceStartChar: at, sourceEndChar: at + 33 }]);
  });

  it("locates a span from a whole-document reference at the occurrence nearest its token range", () => {
    const text = `${"x ".repeat(50)}/usr/local/share/ca-certificates/ ${"y ".repeat(500)}/usr/local/share/ca-certificates/ end`;
    const second = text.lastIndexOf("/usr/local");
    const spans = creditDocuments(
      [{ sourceId: "doc-9", ...copied, sourceStartToken: 540, sourceEndToken: 548 }],
      reply,
      new Map(),
      (id) => (id === "doc-9" ? { text, tokens: text.split(" ").length } : undefined),
    );
    expect(spans).toEqual([{ sourceId: "doc-9", ...copied, sourceStartToken: 540, sourceEndToken: 548, sourceStartChar: second, sourceEndChar: second + 33 }]);
  });

  it("leaves other spans as they are", () => {
    const span = { sourceId: "answer-3", ...copied, sourceStartToken: 1, sourceEndToken: 9 };
    expect(creditDocuments([span], reply, new Map([["question-1", [source(1, "unrelated")]]]), () => undefined)).toEqual([span]);
  });
});
