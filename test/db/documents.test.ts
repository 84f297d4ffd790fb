import { existsSync, readFileSync } from "node:fs";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { CHUNK_TARGET_CHARS, chunkText } from "../../db/chunks.js";
import { ImportError, InvalidStateError, NotFoundError } from "../../db/errors.js";
import { MIGRATIONS, migrate, schemaVersion } from "../../db/migrations.js";
import type { Store } from "../../db/store.js";
import { openStore, stats, tempDbPath } from "./helpers.js";

// Lowercase and ending in a digit, so the FTS index stores the same bytes as the text (see delete.test.ts).
const MARKER = "qvw9docmarker";

function filesWithMarker(path: string): string[] {
  return ["", "-wal", "-shm"]
    .map((suffix) => path + suffix)
    .filter((file) => existsSync(file) && readFileSync(file).toString("latin1").toLowerCase().includes(MARKER));
}

/** Paragraphs about different things, so each query has one right chunk. */
function manual(topics: readonly string[], paragraphsPerTopic = 3): string {
  return topics
    .flatMap((topic, t) =>
      Array.from(
        { length: paragraphsPerTopic },
        (_, i) =>
          `Section ${t}.${i}: ${topic} is described here in some detail, with enough words about ${topic} ` +
          `to make the paragraph long enough that it fills a good part of one chunk of the document, ` +
          `and a little more prose about ordinary matters so that the chunker has sentences to cut at.`,
      ),
    )
    .join("\n\n");
}

function attach(store: Store, conversationId: string, text: string, name = "manual.txt") {
  return store.addDocument({ conversationId, name, mediaType: "text/plain", bytes: Buffer.byteLength(text), text });
}

describe("chunking", () => {
  it("tiles the text exactly, cutting at paragraph, sentence or word ends near the target size", () => {
    const text = manual(["gardening", "sailing", "baking", "astronomy"], 4);
    const chunks = chunkText(text);
    expect(chunks[0]?.startChar).toBe(0);
    expect(chunks.at(-1)?.endChar).toBe(text.length);
    chunks.forEach((c, i) => {
      if (i > 0) expect(c.startChar).toBe(chunks[i - 1]!.endChar);
      expect(c.endChar - c.startChar).toBeLessThanOrEqual(CHUNK_TARGET_CHARS * 1.5);
      if (i < chunks.length - 1) expect(text[c.endChar - 1]).toMatch(/\s/);
    });
    expect(chunks.map((c) => text.slice(c.startChar, c.endChar)).join("")).toBe(text);
  });

  it("cuts text without spaces at the size limit but never inside a surrogate pair", () => {
    const text = "😀".repeat(1000);
    const chunks = chunkText(text);
    expect(chunks.map((c) => text.slice(c.startChar, c.endChar)).join("")).toBe(text);
    for (const c of chunks) expect(text.slice(c.startChar, c.endChar)).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
  });
});

describe("documents in the store", () => {
  it("keeps a document as ordered chunks with offsets, its text readable by range", () => {
    const store = openStore();
    const c = store.createConversation();
    const text = manual(["gardening", "sailing"]);
    const doc = attach(store, c.id, text);
    expect(doc).toMatchObject({ conversationId: c.id, name: "manual.txt", chars: text.length, chunks: chunkText(text).length });
    expect(store.listDocuments(c.id)).toEqual([doc]);
    expect(store.documentText(doc.id)).toBe(text);
    expect(store.documentText(doc.id, 100, 750)).toBe(text.slice(100, 750));
    expect(store.documentText(doc.id, text.length - 5, text.length + 100)).toBe(text.slice(-5));
    expect(store.documentTotals(c.id)).toEqual({ documents: 1, bytes: Buffer.byteLength(text) });
    expect(() => attach(store, "no-such-conversation", "x")).toThrow(NotFoundError);
  });

  it("retrieves the best-matching chunks of the conversation's documents only, with neighbours merged", () => {
    const store = openStore();
    const c = store.createConversation();
    const other = store.createConversation();
    const topics = ["gardening", "sailing", "baking", "astronomy", "carpentry", "beekeeping"];
    const doc = attach(store, c.id, manual(topics));
    attach(store, other.id, manual(["beekeeping"]), "other.txt");

    const passages = store.retrievePassages(c.id, "Tell me about beekeeping please");
    expect(passages.length).toBeGreaterThan(0);
    const best = passages[0]!;
    expect(best.documentId).toBe(doc.id);
    expect(best.documentName).toBe("manual.txt");
    expect(best.text).toContain("beekeeping");
    expect(store.documentText(doc.id, best.startChar, best.endChar)).toBe(best.text);
    // The three beekeeping paragraphs are neighbours: one passage, not three.
    expect(passages.filter((p) => p.text.includes("Section 5.0"))).toHaveLength(1);
    expect(passages.every((p) => p.documentId === doc.id)).toBe(true);
    // Passages never overlap.
    const sorted = [...passages].sort((a, b) => a.startChar - b.startChar);
    sorted.forEach((p, i) => i > 0 && expect(p.startChar).toBeGreaterThanOrEqual(sorted[i - 1]!.endChar));
    expect(store.retrievePassages(c.id, "nothing matches zzzz")).toEqual([]);
  });

  it("ranks a question of common words by all of them together, and a rare word first when there is one", () => {
    const store = openStore();
    const c = store.createConversation();
    const filler = "and the words of this paragraph are ordinary prose that pads it out to the length of one chunk ".repeat(6);
    const paragraphs = Array.from({ length: 600 }, (_, i) =>
      i === 123 ? `Paragraph ${i} names the kestrel9 alone. ${filler}` : `Paragraph ${i}: harbour ${i % 2 === 0 ? "pilots" : "boats"} ${filler}`,
    );
    const doc = attach(store, c.id, paragraphs.join("\n\n"));
    expect(doc.chunks).toBeGreaterThan(500);
    const common = store.retrievePassages(c.id, "harbour pilots");
    expect(common.length).toBeGreaterThan(0);
    expect(common.every((p) => /harbour pilots/.test(p.text))).toBe(true);
    const rare = store.retrievePassages(c.id, "harbour kestrel9");
    expect(rare[0]?.text).toContain("kestrel9");
  });

  it("records a question's sources and gives them back with their text; a deleted document takes them along", () => {
    const store = openStore();
    const c = store.createConversation();
    const doc = attach(store, c.id, manual(["gardening", "sailing"]));
    const q = store.appendMessage({ conversationId: c.id, role: "user", content: "sailing?" });
    const a = store.appendMessage({ conversationId: c.id, role: "assistant", content: "Yes [1]." });
    store.setMessageSources(q.id, [{ documentId: doc.id, startChar: 10, endChar: 60 }]);
    expect(store.messageSources(q.id)).toEqual([
      { n: 1, documentId: doc.id, documentName: "manual.txt", startChar: 10, endChar: 60, text: store.documentText(doc.id, 10, 60) },
    ]);
    expect(() => store.setMessageSources(q.id, [{ documentId: doc.id, startChar: 0, endChar: 1 }])).toThrow(InvalidStateError);
    expect(() => store.setMessageSources(a.id, [{ documentId: doc.id, startChar: 0, endChar: 1 }])).toThrow(InvalidStateError);

    store.deleteDocument(doc.id);
    expect(store.messageSources(q.id)).toEqual([]);
    expect(store.listDocuments(c.id)).toEqual([]);
    expect(store.retrievePassages(c.id, "sailing")).toEqual([]);
    expect(() => store.deleteDocument(doc.id)).toThrow(NotFoundError);
    expect(store.getMessage(q.id).content).toBe("sailing?");
  });

  it("finds document text in global search, with the conversation it belongs to", () => {
    const store = openStore();
    const c = store.createConversation({ title: "Hobbies" });
    const doc = attach(store, c.id, manual(["gardening", "astronomy"]));
    const hits = store.searchDocuments("astronomy");
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0]).toMatchObject({ documentId: doc.id, documentName: "manual.txt", conversationId: c.id, conversationTitle: "Hobbies" });
    expect(hits[0]!.snippet.some((s) => s.match && /astronomy/i.test(s.text))).toBe(true);
    expect(store.documentText(doc.id, hits[0]!.startChar, hits[0]!.endChar)).toContain("astronomy");
  });

  it("survives an export and an import, documents, sources and copied spans following new ids", () => {
    const store = openStore();
    const c = store.createConversation();
    const text = manual(["gardening", "sailing"]);
    const doc = attach(store, c.id, text);
    const q = store.appendMessage({ conversationId: c.id, role: "user", content: "sailing?" });
    store.appendMessage({
      conversationId: c.id,
      role: "assistant",
      content: "It is fun [1].",
      stats: stats({ copiedSpans: [{ sourceId: doc.id, replyStartChar: 0, replyEndChar: 6, sourceStartChar: 20, sourceEndChar: 26 }] }),
    });
    store.setMessageSources(q.id, [{ documentId: doc.id, startChar: 5, endChar: 40 }]);
    const file = store.exportJson([c.id]);
    expect(file.conversations[0]?.documents).toEqual([
      { id: doc.id, name: "manual.txt", mediaType: "text/plain", bytes: doc.bytes, createdAt: doc.createdAt, text },
    ]);

    const copy = store.importJson(JSON.parse(JSON.stringify(file)));
    const newId = copy.imported[0]!.id;
    expect(newId).not.toBe(c.id);
    const [newDoc] = store.listDocuments(newId);
    expect(newDoc).toMatchObject({ name: "manual.txt", chars: text.length, chunks: doc.chunks });
    expect(newDoc!.id).not.toBe(doc.id);
    expect(store.documentText(newDoc!.id)).toBe(text);
    const path = store.getActivePath(newId);
    expect(store.messageSources(path[0]!.id)).toMatchObject([{ n: 1, documentId: newDoc!.id, startChar: 5, endChar: 40 }]);
    expect(path[1]!.stats?.copiedSpans[0]).toEqual({ sourceId: newDoc!.id, replyStartChar: 0, replyEndChar: 6, sourceStartChar: 20, sourceEndChar: 26 });

    // Into a fresh store the same ids are kept.
    const other = openStore();
    other.importJson(JSON.parse(JSON.stringify(file)));
    expect(other.listDocuments(c.id).map((d) => d.id)).toEqual([doc.id]);
    expect(other.retrievePassages(c.id, "sailing")[0]?.documentId).toBe(doc.id);
  });

  it("refuses an import whose sources point outside the conversation's documents, storing nothing", () => {
    const store = openStore();
    const c = store.createConversation();
    const doc = attach(store, c.id, "short text about sailing");
    const q = store.appendMessage({ conversationId: c.id, role: "user", content: "sailing?" });
    store.setMessageSources(q.id, [{ documentId: doc.id, startChar: 0, endChar: 10 }]);
    const file = JSON.parse(JSON.stringify(store.exportJson([c.id])));
    file.conversations[0].messages[0].sources[0].endChar = 10_000;
    const fresh = openStore();
    expect(() => fresh.importJson(file)).toThrow(ImportError);
    file.conversations[0].messages[0].sources[0].endChar = 10;
    file.conversations[0].documents = [];
    expect(() => fresh.importJson(file)).toThrow(/not in the conversation/);
    expect(fresh.listConversations().items).toEqual([]);
  });

  it("upgrades a version 1 database, keeping its conversations", () => {
    const path = tempDbPath();
    const db = new Database(path);
    migrate(db, MIGRATIONS.slice(0, 1));
    db.prepare(
      "INSERT INTO conversations (id, title, created_at, updated_at, settings) VALUES ('old', 'Old one', 1, 1, '{}')",
    ).run();
    expect(schemaVersion(db)).toBe(1);
    db.close();
    const store = openStore(path);
    expect(store.getConversation("old").title).toBe("Old one");
    expect(attach(store, "old", "now with documents").chunks).toBe(1);
  });
});

describe("deleting documents", () => {
  function seed(store: Store, conversationId: string): string {
    const text = `${manual(["gardening", "sailing"])}\n\nThe secret word is ${MARKER}1 and also ${MARKER}2.\n\n${manual(["baking"])}`;
    const doc = attach(store, conversationId, text, `notes-${MARKER}3.txt`);
    const q = store.appendMessage({ conversationId, role: "user", content: "What is the secret word?" });
    const passage = store.retrievePassages(conversationId, "secret word")[0]!;
    store.setMessageSources(q.id, [passage]);
    return doc.id;
  }

  it("deleting the document leaves its text in none of the database files' bytes", () => {
    const path = tempDbPath();
    let store = openStore(path);
    const c = store.createConversation();
    const keep = attach(store, c.id, manual(["astronomy"]), "keep.txt");
    store.close();
    store = openStore(path);
    const id = seed(store, c.id);
    expect(store.searchDocuments(`${MARKER}1`)).toHaveLength(1);
    expect(filesWithMarker(path).length).toBeGreaterThan(0);

    expect(store.deleteDocument(id)).toEqual({ purged: true });
    expect(filesWithMarker(path)).toEqual([]);
    expect(store.searchDocuments(`${MARKER}1`)).toEqual([]);
    expect(store.listDocuments(c.id).map((d) => d.id)).toEqual([keep.id]);
    expect(store.searchDocuments("astronomy").length).toBeGreaterThan(0);
    expect(store.checkIntegrity()).toEqual([]);
  });

  it("deleting the conversation takes its documents, chunks, index entries and sources, leaving no byte of them", () => {
    const path = tempDbPath();
    let store = openStore(path);
    const c = store.createConversation();
    const kept = store.createConversation();
    attach(store, kept.id, manual(["astronomy"]), "keep.txt");
    store.close();
    store = openStore(path);
    const id = seed(store, c.id);
    expect(filesWithMarker(path)).toContain(`${path}-wal`);

    expect(store.deleteConversation(c.id)).toEqual({ purged: true });
    expect(filesWithMarker(path)).toEqual([]);
    expect(() => store.getDocument(id)).toThrow(NotFoundError);
    expect(store.searchDocuments(`${MARKER}2`)).toEqual([]);
    expect(store.listDocuments(kept.id)).toHaveLength(1);
    expect(store.checkIntegrity()).toEqual([]);
    store.close();
    expect(filesWithMarker(path)).toEqual([]);
  });
});
