import { createHash } from "node:crypto";
import type { SnippetSegment } from "./types.js";

// Word characters as FTS5's unicode61 tokenizer sees them (letters, numbers, marks, private use).
const WORD = /[\p{L}\p{N}\p{M}\p{Co}]+/gu;
const EDGE_PUNCTUATION = /^[\p{P}\p{S}\s]+|[\p{P}\p{S}\s]+$/gu;

/** The text two questions must share to count as the same question. */
export function normalizeQuestion(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/\s+/gu, " ").replace(EDGE_PUNCTUATION, "");
}

/** 48 bits of SHA-256 of the normalized text: a JS-safe integer for an indexed column. Null for empty text. */
export function questionHash(text: string): number | null {
  const normalized = normalizeQuestion(text);
  if (normalized === "") return null;
  return createHash("sha256").update(normalized).digest().readUIntBE(0, 6);
}

function words(text: string): string[] {
  return text.normalize("NFKC").match(WORD) ?? [];
}

// Common English function words. They match most messages, so they add little to bm25 while costing
// the most to scan; queries leave them out where other words remain.
const STOPWORDS = new Set(
  (
    "a about above after again against all am an and any are as at be because been before being below " +
    "between both but by can could did do does doing down during each few for from further had has have " +
    "having he her here hers herself him himself his how i if in into is it its itself just me more most " +
    "my myself no nor not now of off on once only or other our ours ourselves out over own same she should " +
    "so some such than that the their theirs them themselves then there these they this those through to " +
    "too under until up very was we were what when where which while who whom why will with would you " +
    "your yours yourself yourselves s t don didn doesn isn aren wasn weren won let get got also " +
    "please thanks thank hi hello hey ok okay"
  ).split(" "),
);

const isStopword = (token: string): boolean => STOPWORDS.has(token.toLowerCase());

// Every token becomes an FTS5 string, so user text can never be read as FTS5 syntax
// (NEAR, AND, *, ^, column filters, parentheses); the tokens never contain a double quote.
const quote = (tokens: readonly string[]): string => `"${tokens.join(" ")}"`;

const MAX_SEARCH_TOKENS = 32;

/**
 * FTS5 query for a search box: all words must match (AND); text in balanced double quotes is a phrase.
 * Loose stopwords are dropped unless nothing else is left. Returns null when the input has no words.
 */
export function searchQuery(input: string): string | null {
  const parts = input.split('"');
  // An unbalanced quote opens no phrase: its text is read as loose words.
  const balanced = parts.length % 2 === 1;
  const phrases: string[] = [];
  const loose: string[] = [];
  let budget = MAX_SEARCH_TOKENS;
  parts.forEach((part, i) => {
    const tokens = words(part).slice(0, budget);
    budget -= tokens.length;
    if (tokens.length === 0) return;
    const isPhrase = i % 2 === 1 && (balanced || i < parts.length - 1);
    if (isPhrase) phrases.push(quote(tokens));
    else loose.push(...tokens);
  });
  const significant = loose.filter((t) => !isStopword(t));
  const kept = phrases.length + significant.length > 0 ? significant : loose;
  const clauses = [...phrases, ...kept.map((t) => quote([t]))];
  return clauses.length > 0 ? clauses.join(" ") : null;
}

const MAX_SIMILAR_TERMS = 12;

/**
 * The candidate terms of a new message for finding similar questions: no stopwords, no duplicates,
 * longest first (a cheap proxy for rarity), at most MAX_SIMILAR_TERMS.
 */
export function distinctiveTerms(text: string): string[] {
  const seen = new Set<string>();
  for (const w of words(text)) {
    const t = w.toLowerCase();
    if (t.length >= 2 && !STOPWORDS.has(t)) seen.add(t);
  }
  return [...seen].sort((a, b) => b.length - a.length).slice(0, MAX_SIMILAR_TERMS);
}

/** FTS5 query matching any of the terms. */
export function anyOf(terms: readonly string[]): string {
  return terms.map((t) => quote([t])).join(" OR ");
}

/** FTS5 query for one term. */
export function term(t: string): string {
  return quote([t]);
}

// Control characters that chat text practically never holds, so they cannot be confused with it; the UI
// receives segments, never markup to interpret.
export const SNIPPET_OPEN = "\u0002";
export const SNIPPET_CLOSE = "\u0003";

/** Splits snippet() output (matches wrapped in SNIPPET_OPEN/SNIPPET_CLOSE) into segments. */
export function snippetSegments(marked: string): SnippetSegment[] {
  const segments: SnippetSegment[] = [];
  let match = false;
  let text = "";
  const flush = () => {
    if (text !== "") segments.push({ text, match });
    text = "";
  };
  for (const ch of marked) {
    if (ch === SNIPPET_OPEN || ch === SNIPPET_CLOSE) {
      flush();
      match = ch === SNIPPET_OPEN;
    } else {
      text += ch;
    }
  }
  flush();
  return segments;
}
