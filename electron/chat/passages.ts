import type { Store } from "../../db/index";
import type { CopiedSpan, MessageSource, Passage, RetrievedPassage } from "../../db/types";
import type { Engine } from "../engine/engine";
import type { Reference } from "../engine/referencePredictor";

/**
 * The share of the context window the passages of one question may take. The rest holds the
 * conversation, the question and the reply; older turns give way first (see fitToContext).
 */
export const PASSAGE_SHARE = 0.4;

/** How a passage reads in the prompt: its number, its document, its text. */
function sourceBlock(n: number, passage: Passage): string {
  return `[${n}] ${passage.documentName}:\n${passage.text.trim()}`;
}

// Of the wordings tried on SmolLM2-135M-Instruct, this one (after the question) gave the answers
// closest to the passage; no wording made that model write the [n] reliably.
const citeInstruction =
  "Answer from the sources above. After each sentence that uses a source, write its number in brackets, like [1].";

/**
 * The question as the model reads it when passages of the conversation's documents were found for
 * it: the numbered sources, what to do with them, then the question. Stored sources re-render to the
 * same text at every later reply, so the evaluated state of the conversation stays valid.
 */
export function promptWithSources(question: string, sources: readonly MessageSource[]): string {
  if (sources.length === 0) return question;
  const blocks = sources.map((s) => sourceBlock(s.n, s)).join("\n\n");
  return `Sources:\n\n${blocks}\n\nQuestion: ${question}\n\n${citeInstruction}`;
}

export interface FittedPassages {
  chosen: RetrievedPassage[];
  /** Passages that matched but did not fit the budget. */
  cut: number;
}

/** The passage's best-matching chunk alone, without the neighbours read with it. */
function hitOnly(passage: RetrievedPassage): RetrievedPassage {
  const from = passage.hitStartChar - passage.startChar;
  return {
    ...passage,
    startChar: passage.hitStartChar,
    endChar: passage.hitEndChar,
    text: passage.text.slice(from, from + passage.hitEndChar - passage.hitStartChar),
  };
}

/**
 * The best passages whose source blocks fit `budgetTokens` together, in rank order: a passage that
 * does not fit whole is tried as its best chunk alone; one that does not fit even so is cut.
 */
export function fitPassages(engine: Engine, passages: readonly RetrievedPassage[], budgetTokens: number): FittedPassages {
  const chosen: RetrievedPassage[] = [];
  let used = 0;
  for (const passage of passages) {
    for (const candidate of [passage, hitOnly(passage)]) {
      const tokens = engine.tokenize(`${sourceBlock(chosen.length + 1, candidate)}\n\n`).length;
      if (used + tokens > budgetTokens) continue;
      chosen.push(candidate);
      used += tokens;
      break;
    }
  }
  return { chosen: mergeTouching(chosen), cut: passages.length - chosen.length };
}

/**
 * Chosen passages of one document that touch become one source, in its place in the ranking: the
 * model reads one stretch of text rather than pieces (retrieval caps a passage's length so that one
 * run of matches does not crowd out the rest, but once both are in, one source reads better; a
 * small model given two pieces of one README answered "1." and stopped).
 */
function mergeTouching(passages: readonly RetrievedPassage[]): RetrievedPassage[] {
  const merged: RetrievedPassage[] = [];
  for (const passage of passages) {
    const at = merged.findIndex(
      (m) => m.documentId === passage.documentId && (m.endChar === passage.startChar || passage.endChar === m.startChar),
    );
    const other = merged[at];
    if (!other) {
      merged.push(passage);
      continue;
    }
    const [first, second] = other.startChar < passage.startChar ? [other, passage] : [passage, other];
    merged[at] = { ...other, startChar: first.startChar, endChar: second.endChar, text: first.text + second.text };
  }
  return merged.length === passages.length ? merged : mergeTouching(merged);
}

/**
 * Longest document that is a reference as a whole (about 250,000 tokens of English). A longer one
 * would cost seconds to tokenize and hundreds of MB to index; its passages, in the prompt, are
 * still copied from.
 */
const MAX_REFERENCE_DOCUMENT_CHARS = 1_000_000;

/**
 * The whole documents the question's passages come from, as references: a copy from a passage can
 * go on past the passage's edge. Token ids are cached in the store per document and model.
 */
export function documentReferences(store: Store, engine: Engine, sources: readonly MessageSource[]): Reference[] {
  const ids = [...new Set(sources.map((s) => s.documentId))].filter(
    (id) => store.getDocument(id).chars <= MAX_REFERENCE_DOCUMENT_CHARS,
  );
  return ids.map((id) => {
    const cached = store.getDocumentTokens(id, engine.modelName);
    if (cached) return { id, tokens: Array.from(cached) };
    const tokens = engine.tokenize(store.documentText(id));
    store.putDocumentTokens(id, engine.modelName, tokens);
    return { id, tokens };
  });
}

/** A whole document the reply had as a reference: its text and how many tokens it has. */
export interface ReferencedDocument {
  text: string;
  tokens: number;
}

/** The occurrence of `piece` in `text` nearest to `near`, or -1. */
function nearest(text: string, piece: string, near: number): number {
  const after = text.indexOf(piece, near);
  const before = text.lastIndexOf(piece, near);
  if (after < 0 || before < 0) return Math.max(after, before);
  return near - before <= after - near ? before : after;
}

/**
 * Copied spans credited to the document they came from: a span copied from a question's passage
 * (which the live context holds) is the document's, not the question's, and so is a span from a
 * whole-document reference. `sourceStartChar`/`sourceEndChar` say where in the document the text is:
 * for a whole-document span, the occurrence nearest to where its token range falls.
 */
export function creditDocuments(
  spans: readonly CopiedSpan[],
  replyText: string,
  sourcesByMessage: ReadonlyMap<string, readonly MessageSource[]>,
  referencedDocument: (documentId: string) => ReferencedDocument | undefined,
): CopiedSpan[] {
  return spans.map((span) => {
    const copied = replyText.slice(span.replyStartChar, span.replyEndChar);
    if (copied === "") return span;
    const document = referencedDocument(span.sourceId);
    if (document) {
      const near = Math.round(((span.sourceStartToken ?? 0) * document.text.length) / Math.max(1, document.tokens));
      const at = nearest(document.text, copied, near);
      return at < 0 ? span : { ...span, sourceStartChar: at, sourceEndChar: at + copied.length };
    }
    for (const source of sourcesByMessage.get(span.sourceId) ?? []) {
      const at = source.text.indexOf(copied);
      if (at >= 0) {
        return {
          sourceId: source.documentId,
          replyStartChar: span.replyStartChar,
          replyEndChar: span.replyEndChar,
          sourceStartChar: source.startChar + at,
          sourceEndChar: source.startChar + at + copied.length,
        };
      }
    }
    return span;
  });
}
