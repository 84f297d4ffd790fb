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

/**
 * The question as the model reads it when passages of the conversation's documents were found for
 * it: the numbered sources, what to do with them, then the question. Stored sources re-render to the
 * same text at every later reply, so the evaluated state of the conversation stays valid.
 */
export function promptWithSources(question: string, sources: readonly MessageSource[]): string {
  if (sources.length === 0) return question;
  const blocks = sources.map((s) => sourceBlock(s.n, s)).join("\n\n");
  return `Sources:\n\n${blocks}\n\nAnswer from the sources above and cite each source you use as [n], for example [1].\n\nQuestion: ${question}`;
}

export interface FittedPassages {
  chosen: RetrievedPassage[];
  /** Passages that matched but did not fit the budget. */
  cut: number;
}

/** The best passages whose source blocks fit `budgetTokens` together, in rank order; the others are cut. */
export function fitPassages(engine: Engine, passages: readonly RetrievedPassage[], budgetTokens: number): FittedPassages {
  const chosen: RetrievedPassage[] = [];
  let used = 0;
  for (const passage of passages) {
    const tokens = engine.tokenize(`${sourceBlock(chosen.length + 1, passage)}\n\n`).length;
    if (used + tokens > budgetTokens) continue;
    chosen.push(passage);
    used += tokens;
  }
  return { chosen, cut: passages.length - chosen.length };
}

/**
 * The whole documents the question's passages come from, as references: a copy from a passage can
 * go on past the passage's edge. Token ids are cached in the store per document and model.
 */
export function documentReferences(store: Store, engine: Engine, sources: readonly MessageSource[]): Reference[] {
  const ids = [...new Set(sources.map((s) => s.documentId))];
  return ids.map((id) => {
    const cached = store.getDocumentTokens(id, engine.modelName);
    if (cached) return { id, tokens: Array.from(cached) };
    const tokens = engine.tokenize(store.documentText(id));
    store.putDocumentTokens(id, engine.modelName, tokens);
    return { id, tokens };
  });
}

/**
 * Copied spans credited to the document they came from: a span copied from a question's passage
 * (which the live context holds) is the document's, not the question's, and so is a span from a
 * whole-document reference. `sourceCharStart`/`sourceCharEnd` say where in the document the text is.
 */
export function creditDocuments(
  spans: readonly CopiedSpan[],
  replyText: string,
  sourcesByMessage: ReadonlyMap<string, readonly MessageSource[]>,
  documentText: (documentId: string) => string | undefined,
): CopiedSpan[] {
  return spans.map((span) => {
    const copied = replyText.slice(span.start, span.end);
    if (copied.trim() === "") return span;
    const fromDocument = documentText(span.sourceId);
    if (fromDocument !== undefined) {
      const at = fromDocument.indexOf(copied);
      return at < 0 ? span : { ...span, sourceCharStart: at, sourceCharEnd: at + copied.length };
    }
    for (const source of sourcesByMessage.get(span.sourceId) ?? []) {
      const at = source.text.indexOf(copied);
      if (at >= 0) {
        return {
          sourceId: source.documentId,
          start: span.start,
          end: span.end,
          sourceCharStart: source.startChar + at,
          sourceCharEnd: source.startChar + at + copied.length,
        };
      }
    }
    return span;
  });
}
