import type { MessageSource, Role } from "../../db/types";
import { ApiError } from "../api/errors";
import type { ChatTurn, Engine } from "../engine/engine";
import { promptWithSources } from "./passages";

/** A turn with an identity: a stored message, or a message of an OpenAI-style request. */
export interface HistoryMessage {
  id: string;
  role: Role;
  content: string;
  /** For a question: the passages of the conversation's documents its prompt holds. */
  sources?: readonly MessageSource[];
}

export function toTurns(messages: readonly HistoryMessage[]): ChatTurn[] {
  return messages.map((m) => ({
    role: m.role,
    text: m.role === "user" && m.sources ? promptWithSources(m.content, m.sources) : m.content,
  }));
}

/** The turns a system prompt adds before the conversation: none when it is empty. */
export function systemTurns(systemPrompt: string): ChatTurn[] {
  return systemPrompt ? [{ role: "system", text: systemPrompt }] : [];
}

export interface FittedHistory<M extends HistoryMessage> {
  /** The messages the model reads, oldest first (empty ones left out). */
  kept: M[];
  /** Messages left out from the start of the conversation, oldest first. */
  dropped: M[];
  /** Tokens of the prompt the model reads (system prompt and kept turns). */
  promptTokens: number;
}

/**
 * Once a conversation outgrows the budget, the oldest turns are dropped until it fills only this
 * share of it: the kept part then stays the same for the next several replies, so the evaluated
 * state is reused instead of being re-read after every reply.
 */
const refillShare = 0.75;

/**
 * The turns the model sees for a reply: the conversation from `keepFrom` (or its start) to the
 * question, within `budget` tokens as rendered by the model's chat template. Turns are dropped in
 * whole question/answer pairs from the start; the question itself is never dropped, and a question
 * that does not fit alone is refused with a message that says so.
 */
export function fitToContext<M extends HistoryMessage>(
  engine: Engine,
  system: ChatTurn[],
  messages: readonly M[],
  budget: number,
  keepFrom?: string,
): FittedHistory<M> {
  const withText = messages.filter((m) => m.content !== "");
  const count = (start: number) => engine.renderTurns([...system, ...toTurns(withText.slice(start))]).length;
  // A start is a place where a question begins, so every kept answer keeps its question.
  const starts = withText.flatMap((m, i) => (m.role === "user" ? [i] : []));
  const last = starts.at(-1) ?? 0;

  const remembered = keepFrom ? withText.findIndex((m) => m.id === keepFrom) : -1;
  let start = remembered >= 0 && starts.includes(remembered) ? remembered : 0;
  let tokens = count(start);
  if (tokens > budget) {
    const lastTokens = count(last);
    if (lastTokens > budget) {
      throw new ApiError(
        "bad_request",
        `The message is too long for the model: it takes ${lastTokens} tokens and the context window holds ${budget} besides room for the reply.`,
      );
    }
    // Binary search on the question starts: token counts fall as the start moves on.
    let lo = starts.findIndex((s) => s >= start);
    let hi = starts.length - 1;
    const target = Math.floor(budget * refillShare);
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (count(starts[mid] as number) <= target) hi = mid;
      else lo = mid + 1;
    }
    start = starts[lo] as number;
    tokens = count(start);
  }
  return {
    kept: withText.slice(start),
    dropped: withText.slice(0, start),
    promptTokens: tokens,
  };
}
