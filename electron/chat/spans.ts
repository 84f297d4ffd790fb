import type { CopiedSpan as StoredSpan } from "../../db/types";
import type { ChatTurn, CopiedSpan, Engine } from "../engine/engine";
import { contextId } from "../engine/referencePredictor";
import { toTurns, type HistoryMessage } from "./history";

/**
 * Copied spans as stored with the message: a span the engine copied from the live context (its id
 * is "context") is credited to the message it came from, so the UI can link every span to a message.
 * Positions in the live context are those of the rendered prompt; a position past the prompt is in
 * the reply itself (the model repeating its own words). Source positions are then counted from where
 * that message begins in the rendered prompt, as they are for a past answer's reference.
 */
export function storedSpans(
  spans: readonly CopiedSpan[],
  engine: Engine,
  system: ChatTurn[],
  kept: readonly HistoryMessage[],
  answerId: string,
): StoredSpan[] {
  let ends: number[] | undefined;
  /** The message at a live-context position, and where that message begins there. */
  const messageAt = (position: number): { id: string; begins: number } => {
    ends ??= kept.map((_, i) =>
      engine.renderTurns([...system, ...toTurns(kept.slice(0, i + 1))]).length,
    );
    const at = ends.findIndex((end) => position < end);
    const begins = at < 0 ? (ends.at(-1) ?? 0) : at === 0 ? 0 : (ends[at - 1] as number);
    return { id: at < 0 ? answerId : (kept[at] as HistoryMessage).id, begins };
  };
  return spans.map((span) => {
    const source = span.sourceId === contextId ? messageAt(span.sourceStartToken) : { id: span.sourceId, begins: 0 };
    return {
      ...span,
      sourceId: source.id,
      sourceStartToken: span.sourceStartToken - source.begins,
      sourceEndToken: span.sourceEndToken - source.begins,
    };
  });
}
