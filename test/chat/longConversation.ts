import type { TestService } from "./helpers";

/** A stored conversation of earlier turns that the model reads as at least `tokens` tokens. */
export function longConversation(t: TestService, tokens: number): { id: string; tokens: number } {
  const { id } = t.store.createConversation({});
  const engine = t.models.engine();
  const turns: { role: "user" | "assistant"; text: string }[] = [];
  for (let i = 0; turns.length === 0 || engine.renderTurns(turns).length < tokens; i++) {
    const question = `Question ${i}: what happened in chapter ${i} of the voyage, and who was aboard the ship?`;
    const answer =
      `In chapter ${i} the ship sailed past island number ${i * 7 + 3}. The captain, the navigator and ${i + 2} sailors ` +
      `were aboard. They traded ${i * 11 + 5} barrels of fresh water for dried fish, mapped the northern reef, ` +
      `and wrote in the log that the wind had turned from the west on the ${i + 1}th day at sea.`;
    t.store.appendMessage({ conversationId: id, role: "user", content: question });
    t.store.appendMessage({ conversationId: id, role: "assistant", content: answer });
    turns.push({ role: "user", text: question }, { role: "assistant", text: answer });
  }
  return { id, tokens: engine.renderTurns(turns).length };
}
