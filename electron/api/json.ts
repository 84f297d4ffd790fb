/**
 * JSON from a client, with its nesting bounded before it is parsed: every walk over a value (the
 * validators, the import's checks, JSON.stringify) recurses, and a value nested thousands deep would
 * overflow the stack there. Browser-safe: no Node imports.
 */
export class JsonTooDeepError extends Error {
  override name = "JsonTooDeepError";
  constructor(readonly maxDepth: number) {
    super(`it is nested deeper than ${maxDepth} levels`);
  }
}

/** `JSON.parse`, after checking the nesting: throws JsonTooDeepError past `maxDepth`, SyntaxError for bad JSON. */
export function parseJson(text: string, maxDepth: number): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > maxDepth) throw new JsonTooDeepError(maxDepth);
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return JSON.parse(text) as unknown;
}
