import type { Store } from "../../db/index";
import type { Engine } from "../engine/engine";
import type { Reference } from "../engine/referencePredictor";

/**
 * A past question and its answer as a reference document, in the form the model reads them (its chat
 * template), so that the reply being written can be matched against it token by token. The token ids
 * of a stored answer are cached in the store per message and model: rendering is paid once per
 * answer. `store` is null for messages that are not stored (OpenAI-style requests).
 */
export function answerReference(
  store: Store | null,
  engine: Engine,
  question: string,
  answer: { id: string; content: string },
): Reference {
  const cached = store?.getTokens(answer.id, engine.modelName);
  if (cached) return { id: answer.id, tokens: Array.from(cached) };
  const tokens = engine.renderTurns([
    { role: "user", text: question },
    { role: "assistant", text: answer.content },
  ]);
  store?.putTokens(answer.id, engine.modelName, tokens);
  return { id: answer.id, tokens };
}

/**
 * Answers given before, in other conversations, to the questions most like `text` (exact repeats
 * first): the cache-assisted references of LLMA. This conversation's own turns need nothing here,
 * the predictor indexes the live context itself.
 */
export function pastAnswerReferences(
  store: Store,
  engine: Engine,
  text: string,
  conversationId: string | null,
  limit: number,
): Reference[] {
  if (limit === 0) return [];
  return store
    .similarQuestions(text, { excludeConversationId: conversationId, limit })
    .map((c) => answerReference(store, engine, c.question, { id: c.answerMessageId, content: c.answer }));
}
