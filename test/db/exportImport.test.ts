import { describe, expect, it } from "vitest";
import { ImportError, NotFoundError } from "../../db/errors.js";
import type { ExportedConversation, ExportFile } from "../../db/exportImport.js";
import type { Store } from "../../db/store.js";
import { openStore, stats, steppingClock, tempDbPath } from "./helpers.js";

/** A conversation with every kind of content: branches, all statuses, stats, settings, a pin. */
function richConversation(store: Store) {
  const c = store.createConversation({ title: "Rich «conversation» ✓", model: "gemma-3", settings: { temperature: 0.7, stop: ["\n\n"], nested: { a: [1, null, true] } } });
  store.pinConversation(c.id, true);
  const sys = store.appendMessage({ conversationId: c.id, role: "system", content: "Be brief." });
  const q1 = store.appendMessage({ conversationId: c.id, role: "user", content: "How do tides work?" });
  const a1 = store.appendMessage({ conversationId: c.id, role: "assistant", content: "", status: "streaming", model: "gemma-3" });
  store.updateStreamingContent(a1.id, "The moon pulls");
  store.finishMessage(a1.id, {
    content: "The moon pulls the oceans.",
    thought: "Tides: gravity of the moon, then the sun.",
    stats: stats({
      speedup: 1.7,
      sampling: { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05 },
      copiedSpans: [{ sourceId: q1.id, replyStartChar: 0, replyEndChar: 3, sourceStartToken: 5, sourceEndToken: 8 }],
      drafting: { on: true },
      predictorMs: 0.4,
      firstTokenMs: 120,
      promptTokens: 42,
      truncatedTurns: 1,
    }),
  });
  const a1b = store.regenerate(a1.id);
  store.finishMessage(a1b.id, { status: "error", error: "out of memory" });
  const a1c = store.regenerate(a1.id);
  store.updateStreamingContent(a1c.id, "Gravity of the mo");
  store.finishMessage(a1c.id, { status: "interrupted" });
  store.switchBranch(a1.id);
  const q2 = store.appendMessage({ conversationId: c.id, role: "user", content: "And the sun?" });
  store.editUserMessage(q2.id, "And what about the sun?");
  store.putTokens(q1.id, "gemma-3", [1, 2, 3]);
  return { conversation: store.getConversation(c.id), ids: { sys, q1, a1, a1b, a1c, q2 } };
}

const withoutTime = (file: ExportFile) => ({ ...file, exportedAt: 0 });

describe("JSON export and import", () => {
  it("round-trips a conversation losslessly into another store", () => {
    const source = openStore(tempDbPath(), { clock: steppingClock() });
    const { conversation } = richConversation(source);
    const exported = source.exportJson([conversation.id]);
    expect(exported.format).toBe("reprise.conversations");
    expect(exported.conversations[0]?.messages).toHaveLength(7);

    // Through text, as it would go through a file.
    const target = openStore();
    const result = target.importJson(JSON.parse(JSON.stringify(exported)));
    expect(result).toEqual({ imported: [{ sourceId: conversation.id, id: conversation.id }], skipped: [] });

    expect(withoutTime(target.exportJson([conversation.id]))).toEqual(withoutTime(exported));
    expect(target.getConversation(conversation.id)).toEqual(conversation);
    expect(target.getActivePath(conversation.id)).toEqual(source.getActivePath(conversation.id));
    // The imported text is indexed like any other.
    expect(target.search("tides").map((h) => h.conversationId)).toEqual([conversation.id]);
    expect(target.similarQuestions("how do tides work")[0]?.answer).toBe("The moon pulls the oceans.");
  });

  it("exports and imports everything at once", () => {
    const source = openStore(tempDbPath(), { clock: steppingClock() });
    richConversation(source);
    const plain = source.createConversation({ title: "plain" });
    source.appendMessage({ conversationId: plain.id, role: "user", content: "hello" });
    source.createConversation({ title: "empty" });
    const all = source.exportJson();
    expect(all.conversations.map((c) => c.title)).toEqual(["Rich «conversation» ✓", "plain", "empty"]);

    const target = openStore();
    expect(target.importJson(all).imported).toHaveLength(3);
    expect(withoutTime(target.exportJson())).toEqual(withoutTime(all));
    expect(target.listConversations().items.map((c) => c.title)).toEqual(
      source.listConversations().items.map((c) => c.title),
    );
  });

  it("imports a conversation that already exists as a copy under new ids", () => {
    const store = openStore(tempDbPath(), { clock: steppingClock() });
    const { conversation, ids } = richConversation(store);
    const exported = store.exportJson([conversation.id]);
    const { imported } = store.importJson(exported);
    const copyId = imported[0]?.id as string;
    expect(copyId).not.toBe(conversation.id);

    const original = exported.conversations[0] as ExportedConversation;
    const copy = store.exportJson([copyId]).conversations[0] as ExportedConversation;
    const idMap = new Map(original.messages.map((m, i) => [m.id, copy.messages[i]?.id]));
    expect(copy.messages.every((m) => !idMap.has(m.id))).toBe(true);
    // Same tree, same content, ids mapped consistently (copied spans included).
    expect(copy.messages.map((m) => ({ ...m, id: "", parentId: m.parentId && "p", activeChildId: m.activeChildId && "c", stats: m.stats && { ...m.stats, copiedSpans: [] } }))).toEqual(
      original.messages.map((m) => ({ ...m, id: "", parentId: m.parentId && "p", activeChildId: m.activeChildId && "c", stats: m.stats && { ...m.stats, copiedSpans: [] } })),
    );
    copy.messages.forEach((m, i) => {
      const o = original.messages[i];
      expect(m.parentId).toBe(o?.parentId ? idMap.get(o.parentId) : null);
      expect(m.activeChildId).toBe(o?.activeChildId ? idMap.get(o.activeChildId) : null);
    });
    const copiedA1 = copy.messages.find((m) => m.id === idMap.get(ids.a1.id));
    expect(copiedA1?.stats?.copiedSpans[0]?.sourceId).toBe(idMap.get(ids.q1.id));
    expect(copy.activeRootId).toBe(idMap.get(original.activeRootId as string));
    expect(store.getActivePath(copyId).map((m) => m.content)).toEqual(
      store.getActivePath(conversation.id).map((m) => m.content),
    );
  });

  it("imports a version 1 file, whose copied spans named their offsets start/end and sourceStart/sourceEnd", () => {
    const source = openStore(tempDbPath(), { clock: steppingClock() });
    const { ids } = richConversation(source);
    const current = source.exportJson();
    const v1 = structuredClone(current) as unknown as { version: number; conversations: { messages: { stats: { copiedSpans: object[] } | null }[] }[] };
    v1.version = 1;
    for (const m of v1.conversations[0]!.messages) {
      if (m.stats) m.stats.copiedSpans = [{ sourceId: ids.q1.id, start: 0, end: 3, sourceStart: 5, sourceEnd: 8 }];
    }
    const target = openStore();
    target.importJson(v1);
    expect(withoutTime(target.exportJson())).toEqual(withoutTime(current));
    // A version 2 file with version 1's names is refused: they are not its fields.
    expect(() => openStore().importJson({ ...v1, version: 2 })).toThrow(/copiedSpans\[0\]\.start: unknown field/);
  });

  it("can skip conversations that already exist", () => {
    const store = openStore();
    const { conversation } = richConversation(store);
    const result = store.importJson(store.exportJson(), { onExisting: "skip" });
    expect(result).toEqual({ imported: [], skipped: [conversation.id] });
    expect(store.listConversations().items).toHaveLength(1);
  });

  it("brings a message exported while streaming back as interrupted", () => {
    const source = openStore();
    const c = source.createConversation();
    const a = source.appendMessage({ conversationId: c.id, role: "assistant", content: "", status: "streaming" });
    source.updateStreamingContent(a.id, "half");
    const exported = source.exportJson([c.id]);
    expect(exported.conversations[0]?.messages[0]?.status).toBe("streaming");
    const target = openStore();
    target.importJson(exported);
    expect(target.getMessage(a.id)).toMatchObject({ status: "interrupted", content: "half" });
  });

  it("rejects a malformed file with the place of the problem, importing nothing", () => {
    const source = openStore(tempDbPath(), { clock: steppingClock() });
    richConversation(source);
    const good = source.exportJson();
    const target = openStore();
    const broken = (mutate: (f: ExportFile & { conversations: ExportedConversation[] }) => void): unknown => {
      const copy = structuredClone(good);
      mutate(copy);
      return copy;
    };
    const cases: [unknown, RegExp][] = [
      [null, /at \$: expected an object/],
      [{ ...good, format: "other" }, /\$\.format/],
      [{ ...good, version: 3 }, /\$\.version: expected 2, got 3/],
      [{ ...good, version: "constructor" }, /\$\.version: expected 2, got "constructor"/],
      [broken((f) => ((f.conversations[0] as { title: unknown }).title = 5)), /conversations\[0\]\.title/],
      [broken((f) => ((f.conversations[0]!.messages[1] as { role: unknown }).role = "robot")), /messages\[1\]\.role/],
      [broken((f) => ((f.conversations[0]!.messages[2]!.stats as { tokens: unknown }).tokens = "many")), /messages\[2\]\.stats\.tokens/],
      [broken((f) => (f.conversations[0]!.messages[1]!.parentId = "nowhere")), /parent nowhere/],
      [broken((f) => f.conversations[0]!.messages.reverse()), /comes before its parent/],
      [broken((f) => (f.conversations[0]!.messages[2]!.id = f.conversations[0]!.messages[1]!.id)), /appears twice/],
      [broken((f) => (f.conversations[0]!.messages[0]!.activeChildId = f.conversations[0]!.messages[3]!.id)), /activeChildId/],
      [broken((f) => (f.conversations[0]!.activeRootId = f.conversations[0]!.messages[1]!.id)), /activeRootId/],
      [broken((f) => ((f.conversations[0] as { settings: unknown }).settings = [1])), /settings/],
    ];
    for (const [data, message] of cases) {
      expect(() => target.importJson(data)).toThrow(ImportError);
      expect(() => target.importJson(data)).toThrow(message);
    }
    expect(target.listConversations().items).toEqual([]);
  });

  it("accepts only ids the API can name again, and text it can store unchanged", () => {
    const source = openStore(tempDbPath(), { clock: steppingClock() });
    richConversation(source);
    const good = source.exportJson();
    const target = openStore();
    const cases: [(f: ExportFile & { conversations: ExportedConversation[] }) => void, RegExp][] = [
      [(f) => (f.conversations[0]!.id = ""), /conversations\[0\]\.id/],
      [(f) => (f.conversations[0]!.id = "x".repeat(101)), /conversations\[0\]\.id/],
      [(f) => (f.conversations[0]!.id = "/../../../../tmp/victim"), /conversations\[0\]\.id/],
      [(f) => (f.conversations[0]!.messages[0]!.id = ""), /messages\[0\]\.id/],
      [(f) => (f.conversations[0]!.title = "half \ud800 a pair"), /conversations\[0\]\.title/],
      [(f) => (f.conversations[0]!.messages[1]!.content = "\udc00 alone"), /messages\[1\]\.content/],
    ];
    for (const [mutate, message] of cases) {
      const copy = structuredClone(good) as ExportFile & { conversations: ExportedConversation[] };
      mutate(copy);
      expect(() => target.importJson(copy), String(message)).toThrow(message);
    }
    expect(target.listConversations().items).toEqual([]);
  });

  it("imports nothing when any conversation of the file is bad", () => {
    const store = openStore();
    const { conversation } = richConversation(store);
    const file = store.exportJson();
    store.deleteConversation(conversation.id);
    const bad = structuredClone(file.conversations[0]) as ExportedConversation;
    bad.messages[0]!.createdAt = 1.5;
    expect(() => store.importJson({ ...file, conversations: [file.conversations[0], bad] })).toThrow(
      /conversations\[1\]\.messages\[0\]\.createdAt/,
    );
    expect(store.listConversations().items).toEqual([]);
    expect(store.importJson(file).imported).toHaveLength(1);
  });

  it("reports an unknown conversation id on export", () => {
    const store = openStore();
    expect(() => store.exportJson(["missing"])).toThrow(NotFoundError);
  });
});

describe("Markdown export", () => {
  it("writes the active path with roles, branch positions, stats and statuses", () => {
    const store = openStore(tempDbPath(), { clock: steppingClock(Date.UTC(2026, 4, 1)) });
    const { conversation, ids } = richConversation(store);
    const md = store.exportMarkdown(conversation.id);
    expect(md).toMatch(/^# Rich «conversation» ✓\n\n- Created: 2026-05-01T00:00:\d\d\.000Z\n- Last activity: 2026-05-01T/);
    expect(md).toContain("- Model: gemma-3");
    const headings = md.split("\n").filter((l) => l.startsWith("## "));
    expect(headings).toEqual(["## System", "## User", "## Assistant", "## User"]);
    expect(md).toContain("_branch 1 of 3 · gemma-3 · 42 tokens in 0.7 s (60.0 tokens/s) · 22 of 30 drafted tokens accepted_");
    expect(md).toContain("The moon pulls the oceans.");
    expect(md).toContain("_branch 2 of 2_\n\nAnd what about the sun?");
    // Off the active path: not exported.
    expect(md).not.toContain("Gravity of the mo");
    expect(md).not.toContain("And the sun?");

    store.switchBranch(ids.a1c.id);
    expect(store.exportMarkdown(conversation.id)).toContain("_branch 3 of 3 · gemma-3 · interrupted_\n\nGravity of the mo");
    store.switchBranch(ids.a1b.id);
    expect(store.exportMarkdown(conversation.id)).toContain("error: out of memory");
  });
});
