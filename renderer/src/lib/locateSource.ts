import type { PathMessage, RepriseApi } from "../../../electron/api/contract";

export interface MessageLocation {
  conversationId: string;
  messageId: string;
}

/** Words worth searching for: the longest ones, which are the rarest. */
function searchWords(text: string): string {
  const words = [...new Set(text.match(/[\p{L}\p{N}]{3,}/gu) ?? [])];
  return words
    .sort((a, b) => b.length - a.length)
    .slice(0, 6)
    .join(" ");
}

/**
 * Adapter for a gap in the contract: a copied span names its source message
 * by id only, and the API has no "get message" operation to learn which
 * conversation holds it. The source is found in the open conversation, or
 * else by a full-text search for the copied words, keeping the hit whose id
 * matches. Null when neither finds it (the source was deleted, or the span
 * came from the live context rather than a stored message).
 */
export async function locateSourceMessage(
  api: RepriseApi,
  sourceId: string,
  copiedText: string,
  open: { conversationId: string; messages: readonly PathMessage[] } | null,
): Promise<MessageLocation | null> {
  if (open?.messages.some((m) => m.id === sourceId)) return { conversationId: open.conversationId, messageId: sourceId };
  const q = searchWords(copiedText);
  if (!q) return null;
  for (const query of [q, q.split(" ").slice(0, 2).join(" ")]) {
    const { hits } = await api.search({ q: query, limit: 200 });
    const hit = hits.find((h) => h.messageId === sourceId);
    if (hit) return { conversationId: hit.conversationId, messageId: hit.messageId };
  }
  return null;
}
