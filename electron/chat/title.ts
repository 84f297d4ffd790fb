/** The title the store gives a conversation that has none yet; only such a title is replaced. */
export const untitled = "New conversation";

const maxWords = 6;
const maxChars = 60;

/**
 * A conversation's title from its first question: its first few words. A deterministic heuristic on
 * purpose: it is instant and never wrong about what was asked, where a model-written title would
 * take the model away from the reply (and the small default model is a base model that does not
 * follow instructions).
 */
export function titleFrom(question: string): string {
  const words = question.trim().split(/\s+/).filter((w) => w !== "");
  if (words.length === 0) return untitled;
  let title = words.slice(0, maxWords).join(" ");
  let cut = words.length > maxWords;
  if (title.length > maxChars) {
    title = title.slice(0, maxChars);
    cut = true;
  }
  return cut ? `${title.replace(/[\s,;:.!?-]+$/, "")}…` : title;
}
