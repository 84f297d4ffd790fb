import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { NotFoundError } from "../../db/errors.js";
import type { Store } from "../../db/store.js";
import { openStore, stats, tempDbPath } from "./helpers.js";

// Lowercase and ending in a digit, so FTS5's tokenizer (lowercasing, Porter stemming) stores the same
// bytes in its index as the text has: a search of the files finds the index entries too.
const MARKER = "zqx7marker";

/** Where in the database's files the marker occurs, case-insensitively. */
function filesWithMarker(path: string): string[] {
  return ["", "-wal", "-shm"]
    .map((suffix) => path + suffix)
    .filter((file) => existsSync(file) && readFileSync(file).toString("latin1").toLowerCase().includes(MARKER));
}

const PROSE =
  "Harbour pilots guide large ships through narrow channels where currents and shallow banks make " +
  "navigation risky, and they board from small boats in nearly any weather";

function filler(store: Store, count: number, tag: string): string[] {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const c = store.createConversation({ title: `${tag} ${i}` });
    store.appendMessage({ conversationId: c.id, role: "user", content: `${tag} question ${i}: ${PROSE}?` });
    store.appendMessage({ conversationId: c.id, role: "assistant", content: `${tag} answer ${i}. ${PROSE}. `.repeat(3) });
    ids.push(c.id);
  }
  return ids;
}

describe("deleting a conversation", () => {
  it("removes its text from the tables, the index and every byte of the database files", () => {
    const path = tempDbPath();
    let store = openStore(path);
    const before = filler(store, 60, "before");

    const secret = store.createConversation({ title: `Secret ${MARKER.toUpperCase()} plans` });
    const q = store.appendMessage({ conversationId: secret.id, role: "user", content: `Where is ${MARKER}001 hidden?` });
    const a = store.appendMessage({ conversationId: secret.id, role: "assistant", content: "", status: "streaming" });
    for (let i = 1; i <= 20; i++) store.updateStreamingContent(a.id, `It is under ${MARKER}002 `.repeat(i));
    store.finishMessage(a.id, { content: `It is under ${MARKER}002, behind ${MARKER}003.`, stats: stats() });
    store.putTokens(a.id, "gemma", [7, 7, 7]);
    const a2 = store.regenerate(a.id);
    store.finishMessage(a2.id, { content: `Try ${MARKER}004 `.repeat(500) }); // long: overflow pages
    store.editUserMessage(q.id, `Where exactly is ${MARKER}005 hidden?`);

    const after = filler(store, 60, "after");
    // Closing checkpoints everything into the main file; a second session adds to the WAL.
    store.close();
    store = openStore(path);
    const late = store.appendMessage({ conversationId: secret.id, role: "user", content: `And ${MARKER}006?` });
    store.appendMessage({ conversationId: secret.id, parentId: late.id, role: "assistant", content: "", status: "streaming" });
    expect(store.search(`${MARKER}003`)).toHaveLength(1);
    expect(filesWithMarker(path)).toContain(path);
    expect(filesWithMarker(path)).toContain(`${path}-wal`);

    expect(store.deleteConversation(secret.id)).toEqual({ purged: true });

    expect(filesWithMarker(path)).toEqual([]);
    expect(() => store.getConversation(secret.id)).toThrow(NotFoundError);
    expect(() => store.getMessage(a.id)).toThrow(NotFoundError);
    expect(store.getTokens(a.id, "gemma")).toBeNull();
    for (const n of ["001", "002", "003", "004", "005", "006"]) expect(store.search(MARKER + n)).toEqual([]);
    expect(store.similarQuestions(`Where is ${MARKER}001 hidden?`)).toEqual([]);
    expect(store.checkIntegrity()).toEqual([]);

    // Everything else is intact and still indexed.
    const remaining = store.listConversations({ limit: 500 }).items.map((c) => c.id);
    expect(remaining.sort()).toEqual([...before, ...after].sort());
    const pages = [0, 200].map((offset) => store.search("harbour pilots", { limit: 200, offset }).length);
    expect(pages).toEqual([200, 40]);

    store.close();
    expect(filesWithMarker(path)).toEqual([]);
  });

  it("removes the conversation's messages, branches and token caches, and no others", () => {
    const store = openStore();
    const keep = store.createConversation();
    const keptQ = store.appendMessage({ conversationId: keep.id, role: "user", content: "keep me" });
    store.putTokens(keptQ.id, "m", [1]);
    const gone = store.createConversation();
    const q = store.appendMessage({ conversationId: gone.id, role: "user", content: "drop me" });
    const a = store.appendMessage({ conversationId: gone.id, role: "assistant", content: "dropped" });
    store.regenerate(a.id);
    store.putTokens(q.id, "m", [2]);

    store.deleteConversation(gone.id);
    expect(store.exportJson().conversations.map((c) => c.messages.map((m) => m.content))).toEqual([["keep me"]]);
    expect(store.getTokens(keptQ.id, "m")).toEqual(new Uint32Array([1]));
    expect(store.getTokens(q.id, "m")).toBeNull();
    expect(store.search("drop")).toEqual([]);
    expect(store.search("keep").map((h) => h.messageId)).toEqual([keptQ.id]);
  });
});
