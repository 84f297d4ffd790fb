/**
 * The wire format of streaming replies over HTTP (text/event-stream): the server writes with
 * `encodeEvent`, the client reads with `readEvents`. Browser-safe.
 */
import type { StreamEvent } from "./contract";

export function encodeEvent(event: StreamEvent): string {
  const { type, ...data } = event;
  // JSON has no raw newlines, so one data line always carries the whole payload.
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: keeps proxies and idle timers from closing a stream while the reply waits in the queue. */
export const keepAlive = ": keep-alive\n\n";

const eventTypes = new Set<string>(["start", "token", "thought", "done", "error"]);

/** Parses one event block ("event: x\ndata: {...}"); null for comments and unknown event types. */
function parseBlock(block: string): StreamEvent | null {
  let type = "message";
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") type = value;
    else if (field === "data") data.push(value);
  }
  if (!eventTypes.has(type) || data.length === 0) return null;
  return { type, ...(JSON.parse(data.join("\n")) as object) } as StreamEvent;
}

/** Yields the events of a text/event-stream body as they arrive. */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      const blocks = buffer.split(/\r?\n\r?\n/);
      buffer = done ? "" : (blocks.pop() ?? "");
      for (const block of blocks) {
        const event = parseBlock(block);
        if (event) yield event;
      }
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}
