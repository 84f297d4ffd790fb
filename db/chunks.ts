/** A piece of a document's text: [startChar, endChar) in UTF-16 code units, as JS strings count. */
export interface ChunkRange {
  startChar: number;
  endChar: number;
}

// About 150 tokens of English: small enough that a passage of a few merged chunks fits a small
// model's share of the context beside the conversation, large enough to hold a whole statement.
export const CHUNK_TARGET_CHARS = 600;
const MIN_CHARS = CHUNK_TARGET_CHARS / 2;
const MAX_CHARS = CHUNK_TARGET_CHARS * 1.5;

/** The last place in text[from, to) after which a chunk may end, preferring paragraph, then sentence, then word ends. */
function cutPoint(text: string, from: number, to: number): number {
  const window = text.slice(from, to);
  for (const boundary of [/\n\s*\n/g, /[.!?;:]["')\]]?\s/g, /\s/g]) {
    let last = -1;
    for (const match of window.matchAll(boundary)) last = match.index + match[0].length;
    if (last >= 0) return from + last;
  }
  // No whitespace at all (a long token, minified source): cut, but never inside a surrogate pair.
  const code = text.charCodeAt(to - 1);
  return code >= 0xd800 && code <= 0xdbff ? to - 1 : to;
}

/**
 * Splits text into consecutive chunks that tile it exactly (no gap, no overlap), so the document's
 * text is the concatenation of its chunks and every chunk knows its offsets.
 */
export function chunkText(text: string): ChunkRange[] {
  const chunks: ChunkRange[] = [];
  let start = 0;
  while (start < text.length) {
    const rest = text.length - start;
    const end = rest <= MAX_CHARS ? text.length : cutPoint(text, start + MIN_CHARS, start + MAX_CHARS);
    chunks.push({ startChar: start, endChar: end });
    start = end;
  }
  return chunks;
}
