import { describe, expect, it } from "vitest";
import { InvalidArgumentError, InvalidStateError, NotFoundError } from "../../db/errors.js";
import { openStore, stats, steppingClock, tempDbPath } from "./helpers.js";

describe("conversations", () => {
  it("creates, reads, renames, pins and configures a conversation", () => {
    const store = openStore();
    const c = store.createConversation({ title: "Trip", model: "gemma", settings: { temperature: 0.2 } });
    expect(store.getConversation(c.id)).toEqual(c);
    expect(c).toMatchObject({ title: "Trip", model: "gemma", settings: { temperature: 0.2 }, pinned: false });

    store.renameConversation(c.id, "Trip to Lisbon");
    store.pinConversation(c.id, true);
    store.configureConversation(c.id, { model: "other", settings: { temperature: 0, topK: 1 } });
    expect(store.getConversation(c.id)).toMatchObject({
      title: "Trip to Lisbon",
      pinned: true,
      model: "other",
      settings: { temperature: 0, topK: 1 },
      updatedAt: c.updatedAt,
    });
    store.pinConversation(c.id, false);
    expect(store.getConversation(c.id).pinned).toBe(false);
  });

  it("reports unknown ids as NotFoundError", () => {
    const store = openStore();
    expect(() => store.getConversation("nope")).toThrow(NotFoundError);
    expect(() => store.renameConversation("nope", "x")).toThrow(NotFoundError);
    expect(() => store.pinConversation("nope", true)).toThrow(NotFoundError);
    expect(() => store.deleteConversation("nope")).toThrow(NotFoundError);
    expect(() => store.getActivePath("nope")).toThrow(NotFoundError);
    expect(() => store.appendMessage({ conversationId: "nope", role: "user", content: "hi" })).toThrow(NotFoundError);
  });

  it("lists pinned first, then by last activity, in pages", () => {
    const store = openStore(tempDbPath(), { clock: steppingClock() });
    const ids = Array.from({ length: 7 }, (_, i) => store.createConversation({ title: `c${i}` }).id);
    const [c0, c1, c2, , , , c6] = ids as [string, string, string, string, string, string, string];
    // Activity on c0 moves it to the top; pinning c2 puts it above everything; renaming c1 changes nothing.
    store.appendMessage({ conversationId: c0, role: "user", content: "hello" });
    store.pinConversation(c2, true);
    store.renameConversation(c1, "renamed");

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = store.listConversations({ limit: 3, cursor });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([c2, c0, c6, ids[5], ids[4], ids[3], c1]);

    const first = store.listConversations({ limit: 2 }).items;
    expect(first[0]).toMatchObject({ id: c2, pinned: true, messageCount: 0 });
    expect(first[1]).toMatchObject({ id: c0, pinned: false, messageCount: 1 });
  });

  it("rejects a malformed cursor", () => {
    const store = openStore();
    expect(() => store.listConversations({ cursor: "garbage" })).toThrow(InvalidArgumentError);
  });
});

describe("messages", () => {
  it("appends to the active leaf by default and bumps the conversation's activity", () => {
    const store = openStore(tempDbPath(), { clock: steppingClock() });
    const c = store.createConversation();
    const q = store.appendMessage({ conversationId: c.id, role: "user", content: "What is WAL?" });
    const a = store.appendMessage({ conversationId: c.id, role: "assistant", content: "A journal mode.", model: "m" });
    expect(q.parentId).toBeNull();
    expect(a.parentId).toBe(q.id);
    expect(store.getConversation(c.id).updatedAt).toBe(a.createdAt);
    expect(store.getConversation(c.id).activeRootId).toBe(q.id);
    expect(store.getMessage(q.id).activeChildId).toBe(a.id);
    expect(store.getActivePath(c.id).map((m) => m.content)).toEqual(["What is WAL?", "A journal mode."]);
    expect(store.getMessage(a.id)).toMatchObject({ role: "assistant", status: "complete", model: "m", stats: null });
  });

  it("appends under an explicit parent, only within the same conversation", () => {
    const store = openStore();
    const c = store.createConversation();
    const other = store.createConversation();
    const q = store.appendMessage({ conversationId: c.id, role: "user", content: "one" });
    store.appendMessage({ conversationId: c.id, role: "assistant", content: "two" });
    const q2 = store.appendMessage({ conversationId: c.id, parentId: q.id, role: "assistant", content: "two, again" });
    expect(store.getActivePath(c.id).map((m) => m.id)).toEqual([q.id, q2.id]);
    expect(() => store.appendMessage({ conversationId: other.id, parentId: q.id, role: "user", content: "x" })).toThrow(
      InvalidStateError,
    );
    expect(() => store.appendMessage({ conversationId: c.id, parentId: "missing", role: "user", content: "x" })).toThrow(
      NotFoundError,
    );
  });

  it("streams an answer: cheap text updates, then finish with stats", () => {
    const store = openStore(tempDbPath(), { clock: steppingClock() });
    const c = store.createConversation();
    store.appendMessage({ conversationId: c.id, role: "user", content: "Tell me about otters" });
    const a = store.appendMessage({ conversationId: c.id, role: "assistant", content: "", status: "streaming" });
    store.updateStreamingContent(a.id, "Otters are");
    store.updateStreamingContent(a.id, "Otters are semiaquatic");
    expect(store.getMessage(a.id)).toMatchObject({ content: "Otters are semiaquatic", status: "streaming" });
    // Streaming text stays out of the index until the message ends.
    expect(store.search("semiaquatic")).toEqual([]);

    const s = stats();
    const done = store.finishMessage(a.id, { content: "Otters are semiaquatic mammals.", stats: s });
    expect(done).toMatchObject({ status: "complete", content: "Otters are semiaquatic mammals.", stats: s });
    expect(store.getMessage(a.id)).toEqual(done);
    expect(store.getConversation(c.id).updatedAt).toBe(done.updatedAt);
    expect(store.search("semiaquatic").map((h) => h.messageId)).toEqual([a.id]);

    expect(() => store.updateStreamingContent(a.id, "late")).toThrow(InvalidStateError);
    expect(() => store.finishMessage(a.id)).toThrow(InvalidStateError);
    expect(() => store.updateStreamingContent("missing", "x")).toThrow(NotFoundError);
  });

  it("finishing without text keeps the last streamed text; errors keep their message", () => {
    const store = openStore();
    const c = store.createConversation();
    const a = store.appendMessage({ conversationId: c.id, role: "assistant", content: "", status: "streaming" });
    store.updateStreamingContent(a.id, "partial answer");
    const failed = store.finishMessage(a.id, { status: "error", error: "model crashed" });
    expect(failed).toMatchObject({ status: "error", error: "model crashed", content: "partial answer", stats: null });
  });

  it("keeps a thinking model's thought apart from the answer, streamed and finished, out of search", () => {
    const store = openStore();
    const c = store.createConversation();
    const a = store.appendMessage({ conversationId: c.id, role: "assistant", content: "", status: "streaming" });
    expect(a.thought).toBe("");
    store.updateStreamingContent(a.id, "", "The user wants a number; ponder");
    expect(store.getMessage(a.id)).toMatchObject({ content: "", thought: "The user wants a number; ponder" });
    // A stop keeps what was thought so far when the finish names none.
    const done = store.finishMessage(a.id, { status: "interrupted", content: "Four." });
    expect(done).toMatchObject({ content: "Four.", thought: "The user wants a number; ponder" });
    expect(store.search("ponder")).toEqual([]);
    const b = store.appendMessage({ conversationId: c.id, role: "assistant", content: "", status: "streaming" });
    expect(store.finishMessage(b.id, { content: "Five.", thought: "Count again." }).thought).toBe("Count again.");
  });

  it("marks messages left streaming by a previous session as interrupted, text kept", () => {
    const path = tempDbPath();
    const first = openStore(path);
    const c = first.createConversation();
    const a = first.appendMessage({ conversationId: c.id, role: "assistant", content: "", status: "streaming" });
    first.updateStreamingContent(a.id, "half of an ans");
    expect(first.recoveredMessageIds).toEqual([]);
    first.close();

    const second = openStore(path);
    expect(second.recoveredMessageIds).toEqual([a.id]);
    expect(second.getMessage(a.id)).toMatchObject({ status: "interrupted", content: "half of an ans" });
    expect(second.search("half").map((h) => h.messageId)).toEqual([a.id]);
    second.close();
    expect(openStore(path).recoveredMessageIds).toEqual([]);
  });
});

describe("branches", () => {
  function conversationWithTwoTurns() {
    const store = openStore(tempDbPath(), { clock: steppingClock() });
    const c = store.createConversation();
    const q1 = store.appendMessage({ conversationId: c.id, role: "user", content: "q1" });
    const a1 = store.appendMessage({ conversationId: c.id, role: "assistant", content: "a1" });
    const q2 = store.appendMessage({ conversationId: c.id, role: "user", content: "q2" });
    const a2 = store.appendMessage({ conversationId: c.id, role: "assistant", content: "a2" });
    return { store, c, q1, a1, q2, a2 };
  }

  it("an edit is a new active sibling of the user message; the old branch is kept", () => {
    const { store, c, q1, a1, q2, a2 } = conversationWithTwoTurns();
    const q2b = store.editUserMessage(q2.id, "q2 edited");
    expect(q2b).toMatchObject({ parentId: a1.id, role: "user", content: "q2 edited" });
    const path = store.getActivePath(c.id);
    expect(path.map((m) => m.content)).toEqual(["q1", "a1", "q2 edited"]);
    expect(path[2]?.siblingIds).toEqual([q2.id, q2b.id]);
    expect(path[0]?.siblingIds).toEqual([q1.id]);
    // The old branch is intact.
    expect(store.getMessage(a2.id).parentId).toBe(q2.id);
    expect(() => store.editUserMessage(a1.id, "no")).toThrow(InvalidStateError);
  });

  it("editing the first message makes a second root", () => {
    const { store, c, q1 } = conversationWithTwoTurns();
    const root2 = store.editUserMessage(q1.id, "q1 again");
    expect(store.getConversation(c.id).activeRootId).toBe(root2.id);
    const path = store.getActivePath(c.id);
    expect(path.map((m) => m.content)).toEqual(["q1 again"]);
    expect(path[0]?.siblingIds).toEqual([q1.id, root2.id]);
    expect(store.switchBranch(q1.id).map((m) => m.content)).toEqual(["q1", "a1", "q2", "a2"]);
  });

  it("regenerate starts a streaming sibling answer that becomes active", () => {
    const { store, c, q2, a2 } = conversationWithTwoTurns();
    const a2b = store.regenerate(a2.id, { model: "bigger" });
    expect(a2b).toMatchObject({ parentId: q2.id, role: "assistant", status: "streaming", content: "", model: "bigger" });
    store.updateStreamingContent(a2b.id, "a2, take two");
    store.finishMessage(a2b.id);
    const path = store.getActivePath(c.id);
    expect(path.map((m) => m.content)).toEqual(["q1", "a1", "q2", "a2, take two"]);
    expect(path[3]?.siblingIds).toEqual([a2.id, a2b.id]);
    expect(() => store.regenerate(q2.id)).toThrow(InvalidStateError);
    expect(store.regenerate(a2.id).model).toBeNull();
  });

  it("switching branch follows the chosen sibling down to the leaf last active there", () => {
    const { store, c, a1, q2, a2 } = conversationWithTwoTurns();
    const q2b = store.editUserMessage(q2.id, "q2b");
    const a2b = store.appendMessage({ conversationId: c.id, role: "assistant", content: "a2b" });
    store.appendMessage({ conversationId: c.id, role: "user", content: "q3b" });

    const back = store.switchBranch(q2.id);
    expect(back.map((m) => m.content)).toEqual(["q1", "a1", "q2", "a2"]);
    expect(store.getActivePath(c.id)).toEqual(back);
    // Appending now continues the old branch.
    const q3 = store.appendMessage({ conversationId: c.id, role: "user", content: "q3" });
    expect(q3.parentId).toBe(a2.id);

    const forward = store.switchBranch(q2b.id);
    expect(forward.map((m) => m.content)).toEqual(["q1", "a1", "q2b", "a2b", "q3b"]);
    expect(forward[3]?.id).toBe(a2b.id);
    expect(store.getMessage(a1.id).activeChildId).toBe(q2b.id);
    expect(() => store.switchBranch("missing")).toThrow(NotFoundError);
  });

  it("an empty conversation has an empty path", () => {
    const store = openStore();
    expect(store.getActivePath(store.createConversation().id)).toEqual([]);
  });
});

describe("token-id cache", () => {
  it("stores token ids per message and model as uint32", () => {
    const store = openStore();
    const c = store.createConversation();
    const m = store.appendMessage({ conversationId: c.id, role: "user", content: "hello there" });
    expect(store.getTokens(m.id, "gemma")).toBeNull();
    store.putTokens(m.id, "gemma", [2, 9259, 993, 0xffffffff]);
    store.putTokens(m.id, "llama", new Uint32Array([1, 15043]));
    expect(Array.from(store.getTokens(m.id, "gemma") ?? [])).toEqual([2, 9259, 993, 0xffffffff]);
    expect(store.getTokens(m.id, "llama")).toEqual(new Uint32Array([1, 15043]));
    store.putTokens(m.id, "gemma", []);
    expect(store.getTokens(m.id, "gemma")).toEqual(new Uint32Array([]));
    expect(() => store.putTokens(m.id, "gemma", [-1])).toThrow(RangeError);
    expect(() => store.putTokens(m.id, "gemma", [1.5])).toThrow(RangeError);
    expect(() => store.putTokens("missing", "gemma", [1])).toThrow(NotFoundError);
  });

  it("drops cached tokens when the text changes", () => {
    const store = openStore();
    const c = store.createConversation();
    const a = store.appendMessage({ conversationId: c.id, role: "assistant", content: "", status: "streaming" });
    store.updateStreamingContent(a.id, "partial");
    store.putTokens(a.id, "gemma", [1, 2]);
    store.updateStreamingContent(a.id, "partial and more");
    expect(store.getTokens(a.id, "gemma")).toBeNull();
    store.putTokens(a.id, "gemma", [1, 2, 3]);
    store.finishMessage(a.id, { stats: stats() });
    expect(store.getTokens(a.id, "gemma")).toEqual(new Uint32Array([1, 2, 3]));
  });
});
