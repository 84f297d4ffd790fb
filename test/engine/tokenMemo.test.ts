import type { Token, Tokenizer } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { memoizeTokenizer } from "../../electron/engine/tokenMemo";

/** A tokenizer that makes one token per character and counts its calls. */
function countingTokenizer() {
  const calls: string[] = [];
  const tokenize = (text: string, specialTokens?: boolean | "builtin", options?: "trimLeadingSpace") => {
    calls.push(`${String(specialTokens)}:${options ?? ""}:${text}`);
    return [...text].map((c) => (c.charCodeAt(0) + (specialTokens === true ? 1000 : 0)) as Token);
  };
  const tokenizer = Object.assign(tokenize, {
    detokenize: (tokens: readonly Token[]) => String.fromCharCode(...tokens),
    isSpecialToken: () => false,
    isEogToken: () => false,
  }) as unknown as Tokenizer;
  return { tokenizer, calls };
}

describe("memoizeTokenizer", () => {
  it("tokenizes a text once per set of options, and returns what the tokenizer returned", () => {
    const { tokenizer, calls } = countingTokenizer();
    const memo = memoizeTokenizer(tokenizer);
    expect(memo("abc")).toEqual(tokenizer("abc"));
    calls.length = 0;
    expect(memo("abc")).toEqual([97, 98, 99]);
    expect(memo("abc", true)).toEqual([1097, 1098, 1099]);
    expect(memo("abc", true)).toEqual([1097, 1098, 1099]);
    expect(memo("abc", false, "trimLeadingSpace")).toEqual([97, 98, 99]);
    expect(calls).toEqual(["true::abc", "false:trimLeadingSpace:abc"]);
  });

  it("hands out copies: a caller that changes its tokens does not change the next caller's", () => {
    const { tokenizer } = countingTokenizer();
    const memo = memoizeTokenizer(tokenizer);
    memo("abc").push(1 as Token);
    const second = memo("abc");
    second.length = 0;
    expect(memo("abc")).toEqual([97, 98, 99]);
  });

  it("forgets the least recently used texts beyond its capacity, and never keeps a text larger than it", () => {
    const { tokenizer, calls } = countingTokenizer();
    // Keys are "undefined::" (11 characters) and the text: room for two 4-character texts.
    const memo = memoizeTokenizer(tokenizer, 30);
    memo("aaaa");
    memo("bbbb");
    memo("aaaa");
    memo("cccc");
    calls.length = 0;
    memo("aaaa");
    memo("cccc");
    expect(calls).toEqual([]);
    memo("bbbb");
    expect(calls).toEqual(["undefined::bbbb"]);
    const long = "x".repeat(40);
    memo(long);
    memo(long);
    expect(calls.filter((c) => c.endsWith(long))).toHaveLength(2);
  });

  it("keeps the tokenizer's other functions", () => {
    const { tokenizer } = countingTokenizer();
    const memo = memoizeTokenizer(tokenizer);
    expect(memo.detokenize([104, 105] as Token[])).toBe("hi");
    expect(memo.isSpecialToken(1 as Token)).toBe(false);
    expect(memo.isEogToken(1 as Token)).toBe(false);
  });
});
