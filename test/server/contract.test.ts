import { describe, expect, it } from "vitest";
import {
  operationNames,
  operations,
  parseRequest,
  pathFor,
  ValidationError,
  type StreamEvent,
} from "../../electron/api/contract";
import { encodeEvent, readEvents } from "../../electron/api/sse";
import { matchRoute } from "../../electron/server/router";

describe("the API contract", () => {
  it("gives every operation its own method and path, and the router finds each one by them", () => {
    const routes = operationNames.map((name) => `${operations[name].method} ${operations[name].path}`);
    expect(new Set(routes).size).toBe(routes.length);
    for (const name of operationNames) {
      const pathname = pathFor(name, { conversationId: "c-1", messageId: "m-1" });
      expect(matchRoute(operations[name].method, pathname)).toMatchObject({ kind: "operation", name });
    }
  });

  it("escapes path parameters, and the router decodes them back", () => {
    const pathname = pathFor("getConversation", { conversationId: "a/b c" });
    expect(pathname).toBe("/api/conversations/a%2Fb%20c");
    expect(matchRoute("GET", pathname)).toMatchObject({ params: { conversationId: "a/b c" } });
  });

  it("validates requests field by field, naming the field and what was expected", () => {
    expect(parseRequest("sendMessage", { conversationId: "c", text: "hi" })).toEqual({ conversationId: "c", text: "hi" });
    const cases: [Parameters<typeof parseRequest>[0], unknown, RegExp][] = [
      ["sendMessage", { conversationId: "c" }, /request\.text: expected a string of 1 to 200000 characters, got nothing/],
      ["sendMessage", { conversationId: "c", text: "" }, /request\.text/],
      ["sendMessage", { conversationId: "c", text: "x".repeat(200_001) }, /request\.text/],
      ["sendMessage", { conversationId: "c", text: "hi", extra: 1 }, /request\.extra: unknown field/],
      ["pinConversation", { conversationId: "c", pinned: "yes" }, /request\.pinned: expected true or false/],
      ["updateSettings", { drafting: "fast" }, /request\.drafting: expected one of "reference", "off"/],
      ["updateSettings", { maxTokens: 1.5 }, /request\.maxTokens: expected an integer/],
      ["exportConversations", { format: "json", conversationIds: [1] }, /request\.conversationIds\[0\]/],
      ["health", null, /request: expected an object/],
      ["health", [], /request: expected an object/],
    ];
    for (const [name, value, message] of cases) {
      let error: unknown;
      try {
        parseRequest(name, value);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(value)?.slice(0, 60)).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toMatch(message);
    }
  });

  it("reads numbers and booleans from a query string only when told the values come from one", () => {
    expect(parseRequest("search", { q: "tea", limit: "5" }, { fromQuery: true })).toEqual({ q: "tea", limit: 5 });
    expect(() => parseRequest("search", { q: "tea", limit: "5" })).toThrow(ValidationError);
    expect(() => parseRequest("search", { q: "tea", limit: "" }, { fromQuery: true })).toThrow(ValidationError);
  });
});

describe("the event stream wire format", () => {
  it("reads back what it writes, whatever the chunking", async () => {
    const events: StreamEvent[] = [
      { type: "token", text: "line one\nline two: \u00e9\u{1F600}" },
      { type: "error", message: "boom", messageId: null },
    ];
    const bytes = new TextEncoder().encode(`: keep-alive\n\n${events.map(encodeEvent).join("")}`);
    // One byte at a time splits lines, events and multi-byte characters.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
        controller.close();
      },
    });
    const read: StreamEvent[] = [];
    for await (const event of readEvents(body)) read.push(event);
    expect(read).toEqual(events);
  });
});
