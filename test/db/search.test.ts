import { describe, expect, it } from "vitest";
import type { Store } from "../../db/store.js";
import { distinctiveTerms, normalizeQuestion, searchQuery } from "../../db/text.js";
import { openStore } from "./helpers.js";

/** Adds question/answer turns to a new conversation; returns the conversation id and message ids. */
function chat(store: Store, turns: [question: string, answer: string][], title = "chat") {
  const c = store.createConversation({ title });
  const ids = turns.map(([q, a]) => {
    const qm = store.appendMessage({ conversationId: c.id, role: "user", content: q });
    const am = store.appendMessage({ conversationId: c.id, role: "assistant", content: a });
    return { q: qm.id, a: am.id };
  });
  return { id: c.id, ids };
}

describe("full-text search", () => {
  it("finds words in any conversation, best bm25 first, with highlighted snippet segments", () => {
    const store = openStore();
    const garden = chat(store, [["How do I water tomatoes?", "Water tomatoes deeply twice a week; tomatoes hate wet leaves."]], "Garden");
    const cooking = chat(store, [["Any soup ideas?", "A tomato soup needs ripe tomatoes, garlic and a long simmer on low heat."]], "Cooking");
    chat(store, [["Unrelated", "Nothing to see here."]]);

    const hits = store.search("tomatoes");
    expect(hits.map((h) => h.messageId)).toEqual([garden.ids[0]?.a, garden.ids[0]?.q, cooking.ids[0]?.a]);
    expect(hits[0]).toMatchObject({ conversationId: garden.id, conversationTitle: "Garden", role: "assistant" });
    const scores = hits.map((h) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(scores.every((s) => s > 0)).toBe(true);

    // Porter stemming: "tomato" and "tomatoes" are one term; matches are whole segments marked as such.
    const snippet = hits[2]?.snippet ?? [];
    expect(snippet.filter((s) => s.match).map((s) => s.text)).toEqual(["tomato", "tomatoes"]);
    expect(snippet.map((s) => s.text).join("")).toBe(
      "A tomato soup needs ripe tomatoes, garlic and a long simmer on low heat.",
    );
  });

  it("requires every word, and treats quoted text as a phrase", () => {
    const store = openStore();
    const { ids } = chat(store, [
      ["red apple pie", "one"],
      ["apple red pie", "two"],
    ]);
    expect(store.search("pie apple").map((h) => h.messageId).sort()).toEqual([ids[0]?.q, ids[1]?.q].sort());
    expect(store.search('"red apple"').map((h) => h.messageId)).toEqual([ids[0]?.q]);
    expect(store.search("apple banana")).toEqual([]);
  });

  it("pages through results", () => {
    const store = openStore();
    chat(store, Array.from({ length: 12 }, (_, i) => [`question ${i} about lighthouses`, `answer ${i}`] as [string, string]));
    const all = store.search("lighthouses", { limit: 50 }).map((h) => h.messageId);
    expect(all).toHaveLength(12);
    const pages = [0, 5, 10].flatMap((offset) => store.search("lighthouses", { limit: 5, offset }).map((h) => h.messageId));
    expect(pages).toEqual(all);
  });

  it("never throws on arbitrary input and never reads it as FTS5 syntax", () => {
    const store = openStore();
    const { ids } = chat(store, [
      ['He said "NEAR" AND OR NOT (really) * ^ col:umn', "ok"],
      ["Crème brûlée, naïve café", "ok"],
    ]);
    const nasty = [
      '"',
      '"""',
      "(",
      ")",
      "((a)",
      "*",
      "a*",
      "^a",
      "NEAR(a b, 3)",
      "a AND",
      "OR",
      "NOT",
      "col:umn",
      "content: x",
      "-x",
      "+",
      "{a b}:c",
      "'",
      "\\",
      "\u0000",
      "\u0002\u0003",
      "😀",
      "",
      "   ",
      "a".repeat(5000),
      Array.from({ length: 500 }, (_, i) => `w${i}`).join(" "),
    ];
    for (const input of nasty) expect(() => store.search(input)).not.toThrow();
    // Operators are plain words: all of them are in the first message.
    expect(store.search("NEAR AND OR NOT").map((h) => h.messageId)).toEqual([ids[0]?.q]);
    expect(store.search('col:umn (really').map((h) => h.messageId)).toEqual([ids[0]?.q]);
    // Diacritics fold both ways.
    expect(store.search("creme brulee naive cafe").map((h) => h.messageId)).toEqual([ids[1]?.q]);
    expect(store.search("CAFÉ").map((h) => h.messageId)).toEqual([ids[1]?.q]);
  });

  it("ranks a very broad query among its newest 10,000 matches", () => {
    const store = openStore();
    const messages = Array.from({ length: 10_050 }, (_, i) => ({
      id: `m${i}`,
      parentId: i === 0 ? null : `m${i - 1}`,
      activeChildId: i === 10_049 ? null : `m${i + 1}`,
      role: "user" as const,
      // The oldest message is the best match by far; a rare word marks it too.
      content: i === 0 ? "kettle kettle kettle kettle zephyr" : `kettle number ${i} in a long list of kitchen things`,
      status: "complete" as const,
      error: null,
      createdAt: i,
      updatedAt: i,
      model: null,
      stats: null,
    }));
    store.importJson({
      format: "reprise.conversations",
      version: 1,
      exportedAt: 0,
      conversations: [
        { id: "c", title: "kitchen", createdAt: 0, updatedAt: 0, model: null, settings: {}, pinned: false, activeRootId: "m0", messages },
      ],
    });
    const broad = store.search("kettle", { limit: 5 });
    expect(broad).toHaveLength(5);
    expect(broad.map((h) => h.messageId)).not.toContain("m0");
    expect(broad.every((h) => Number(h.messageId.slice(1)) >= 50)).toBe(true);
    // A query under the window is ranked in full and finds it.
    expect(store.search("kettle zephyr").map((h) => h.messageId)).toEqual(["m0"]);
  });

  it("builds only quoted-string FTS5 queries", () => {
    expect(searchQuery('say "hello world" NEAR(x*')).toBe('"hello world" "say" "NEAR" "x"');
    // Stopwords only count when there is nothing else.
    expect(searchQuery("how to install the package")).toBe('"install" "package"');
    expect(searchQuery('"to be or not to be"')).toBe('"to be or not to be"');
    expect(searchQuery("to be or not")).toBe('"to" "be" "or" "not"');
    expect(searchQuery('unbalanced "quote there')).toBe('"unbalanced" "quote"');
    expect(searchQuery("!!! ***")).toBeNull();
  });
});

describe("similar questions", () => {
  it("puts exact repeats (after normalization) first, then bm25 matches, each with its answer", () => {
    const store = openStore();
    const fuzzy = chat(store, [["How can I configure a proxy for npm behind the corporate firewall?", "Set https-proxy."]]);
    const exact = chat(store, [["how do I configure an npm proxy", "Use npm config set proxy."]]);
    chat(store, [["What is the capital of Peru?", "Lima."]]);

    const found = store.similarQuestions("  How do I configure an NPM proxy?! ");
    expect(found.map((f) => [f.questionMessageId, f.exact])).toEqual([
      [exact.ids[0]?.q, true],
      [fuzzy.ids[0]?.q, false],
    ]);
    expect(found[0]).toMatchObject({
      conversationId: exact.id,
      question: "how do I configure an npm proxy",
      answer: "Use npm config set proxy.",
      answerMessageId: exact.ids[0]?.a,
      score: 1,
    });
    expect(found[1]?.score).toBeGreaterThan(0);
    expect(found[1]?.score).toBeLessThan(1);
  });

  it("leaves out the asking conversation and questions without a completed answer", () => {
    const store = openStore();
    const own = chat(store, [["how to bake sourdough bread", "Feed the starter."]]);
    const other = chat(store, [["how to bake sourdough bread", "Use a dutch oven."]]);
    const unanswered = store.createConversation();
    store.appendMessage({ conversationId: unanswered.id, role: "user", content: "how to bake sourdough bread" });
    const failed = store.createConversation();
    store.appendMessage({ conversationId: failed.id, role: "user", content: "how to bake sourdough bread" });
    const a = store.appendMessage({ conversationId: failed.id, role: "assistant", content: "", status: "streaming" });
    store.finishMessage(a.id, { status: "error", error: "boom" });

    const found = store.similarQuestions("how to bake sourdough bread", { excludeConversationId: own.id });
    expect(found.map((f) => f.conversationId)).toEqual([other.id]);
    expect(found[0]?.answer).toBe("Use a dutch oven.");
  });

  it("returns the answer on the active branch, and the newest completed one when that is not complete", () => {
    const store = openStore();
    const { id, ids } = chat(store, [["explain the borrow checker", "first answer"]]);
    const q = ids[0]?.q as string;
    const first = ids[0]?.a as string;
    const second = store.regenerate(first);
    store.finishMessage(second.id, { content: "second answer" });
    expect(store.similarQuestions("explain the borrow checker")[0]?.answer).toBe("second answer");

    store.switchBranch(first);
    expect(store.similarQuestions("explain the borrow checker")[0]?.answerMessageId).toBe(first);

    const third = store.regenerate(first);
    store.finishMessage(third.id, { status: "interrupted" });
    expect(store.getMessage(q).activeChildId).toBe(third.id);
    expect(store.similarQuestions("explain the borrow checker")[0]?.answer).toBe("second answer");
    expect(store.getActivePath(id)).toHaveLength(2);
  });

  it("drops candidates whose answer repeats a better one, and honours the limit", () => {
    const store = openStore();
    for (let i = 0; i < 4; i++) chat(store, [["reset a git branch to origin", "git reset --hard origin/main"]]);
    for (let i = 0; i < 6; i++) chat(store, [[`reset git branch ${i}`, `answer ${i}`]]);
    const found = store.similarQuestions("reset a git branch to origin", { limit: 3 });
    expect(found).toHaveLength(3);
    expect(found.filter((f) => f.answer === "git reset --hard origin/main")).toHaveLength(1);
    expect(found[0]?.exact).toBe(true);
    expect(found.slice(1).every((f) => !f.exact)).toBe(true);
  });

  it("handles text with nothing distinctive and hostile text", () => {
    const store = openStore();
    chat(store, [["what is it", "It depends."]]);
    expect(store.similarQuestions("What is it?").map((f) => f.answer)).toEqual(["It depends."]);
    expect(store.similarQuestions("what is that")).toEqual([]);
    for (const input of ['"', "NEAR(", "*", "", "a:b", "(((", "😀"]) {
      expect(() => store.similarQuestions(input)).not.toThrow();
    }
  });

  it("normalizes case, spacing and edge punctuation only", () => {
    expect(normalizeQuestion("  What's   THE\tplan?!  ")).toBe("what's the plan");
    expect(normalizeQuestion("¿Qué tal?")).toBe("qué tal");
    expect(normalizeQuestion("a.b")).toBe("a.b");
    expect(distinctiveTerms("How do I make the build faster with caching? The BUILD!")).toEqual([
      "caching",
      "faster",
      "build",
      "make",
    ]);
  });
});
