import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { EngineChat, type ChatTurn } from "../../electron/engine/engine";
import { expectDone, recorder, startService, type TestService } from "./helpers";

const fixtures = path.join(import.meta.dirname, "..", "documents", "fixtures");
const asText = readFileSync(path.join(fixtures, "ca-certificates-README.Debian.txt"));
const asPdf = readFileSync(path.join(fixtures, "ca-certificates-README.Debian.pdf"));
// The README's answer: "please put the certificate files as single files ending with ".crt" into
// /usr/local/share/ca-certificates/ and re-run 'update-ca-certificates'".
const QUESTION = "Where do I put local CA certificate files so that they are trusted?";
const ANSWER = "/usr/local/share/ca-certificates/";

let t: TestService;
beforeAll(async () => {
  t = await startService({ maxTokens: 64, contextSize: 2048 });
});
afterAll(() => t.close());
afterEach(() => vi.restoreAllMocks());

/** The turns each reply gave the model, as the engine received them. */
function capturePrompts(): ChatTurn[][] {
  const spy = vi.spyOn(EngineChat.prototype, "reply");
  return new Proxy([], { get: (_, key) => Reflect.get(spy.mock.calls.map((call) => call[0]), key) });
}

describe.each([
  { kind: "text", name: "README.Debian", mediaType: "text/plain", bytes: asText },
  { kind: "PDF", name: "ca-certificates.pdf", mediaType: "application/pdf", bytes: asPdf },
])("a question about an attached Debian README ($kind), on the real model", ({ name, mediaType, bytes }) => {
  it("puts the answering passage in the prompt as source [1], and the reply copies spans from the document", async () => {
    const conversation = await t.service.createConversation({});
    const doc = await t.service.attachDocument({ conversationId: conversation.id, name, mediaType, contentBase64: bytes.toString("base64") });
    const prompts = capturePrompts();

    const done = expectDone(await t.service.sendMessage({ conversationId: conversation.id, text: QUESTION }, recorder().onEvent));

    const { sources } = await t.service.messageSources({ messageId: done.message.id });
    expect(sources[0]).toMatchObject({ n: 1, documentId: doc.id, documentName: name });
    expect(sources.some((s) => s.text.includes(ANSWER))).toBe(true);
    const question = prompts[0]!.at(-1)!;
    expect(question.role).toBe("user");
    expect(question.text).toContain(`[1] ${name}:`);
    expect(question.text).toContain(ANSWER);
    expect(question.text).toContain(QUESTION);

    const stats = done.message.stats!;
    expect(stats.passages).toBe(sources.length);
    const fromDocument = stats.copiedSpans.filter((s) => s.sourceId === doc.id);
    expect(fromDocument.length).toBeGreaterThan(0);
    const documentText = t.store.documentText(doc.id);
    for (const span of fromDocument) {
      // Where the span says its text is in the document, the document has that text.
      expect(documentText.slice(span.sourceStartChar, span.sourceEndChar)).toBe(done.message.content.slice(span.replyStartChar, span.replyEndChar));
    }
    // What SmolLM2-135M writes, greedy: from the text it copies the passage's label and first lines
    // ("1. [1] README.Debian:\nThe Debian Package ca-certificates contains PEM files…"), from the PDF
    // a list of the package's name; it never cites the passage that answers.
    console.log(`reply: ${JSON.stringify(done.message.content)}`);
    expect(done.message.content).toMatch(/ca-certificates/);
  });
});

describe("a long conversation with a long document, on the real model", () => {
  it("cuts the passages that do not fit their share of the context, and says so in the stats", async () => {
    const conversation = await t.service.createConversation({});
    // Forty sections that all match the question: far more than 40% of a 2,048-token context.
    const sections = Array.from(
      { length: 40 },
      (_, i) =>
        `Section ${i}. Local CA certificate files for site ${i} go into /srv/site${i}/certificates/ and are trusted ` +
        `once update-ca-certificates has run; the certificate files must end with .crt for site ${i}.`,
    ).join("\n\n");
    await t.service.attachDocument({
      conversationId: conversation.id,
      name: "sites.md",
      mediaType: "text/markdown",
      contentBase64: Buffer.from(sections).toString("base64"),
    });
    // A history longer than the context, written straight to the store.
    for (let i = 0; i < 30; i++) {
      t.store.appendMessage({ conversationId: conversation.id, role: "user", content: `Tell me fact number ${i} about harbours.` });
      t.store.appendMessage({
        conversationId: conversation.id,
        role: "assistant",
        content: `Fact ${i}: harbour pilots board ships from small boats and guide them through narrow channels. `.repeat(3),
      });
    }
    const prompts = capturePrompts();
    const done = expectDone(
      await t.service.sendMessage({ conversationId: conversation.id, text: "Where do local CA certificate files go, and must they end with .crt?" }, recorder().onEvent),
    );
    const stats = done.message.stats!;
    expect(stats.passages).toBeGreaterThan(0);
    expect(stats.passagesCut).toBeGreaterThan(0);
    expect(done.truncatedTurns).toBeGreaterThan(0);
    expect(stats.promptTokens).toBeLessThanOrEqual(2048);
    const question = prompts[0]!.at(-1)!.text;
    expect(question).toContain("[1] sites.md:");
    expect(question).not.toContain(`[${stats.passages! + 1}]`);
  });
});

describe("deleting a document, on the real model", () => {
  it("takes its passages out of the earlier question's prompt and out of the next one", async () => {
    const conversation = await t.service.createConversation({});
    const doc = await t.service.attachDocument({
      conversationId: conversation.id,
      name: "README.Debian",
      mediaType: "text/plain",
      contentBase64: asText.toString("base64"),
    });
    expectDone(await t.service.sendMessage({ conversationId: conversation.id, text: QUESTION }, recorder().onEvent));
    await t.service.deleteDocument({ documentId: doc.id });
    const prompts = capturePrompts();
    expectDone(await t.service.sendMessage({ conversationId: conversation.id, text: "And where are the certificates installed?" }, recorder().onEvent));
    const turns = prompts[0]!;
    // Both questions as the user wrote them: no sources any more.
    expect(turns.filter((turn) => turn.role === "user").map((turn) => turn.text)).toEqual([QUESTION, "And where are the certificates installed?"]);
  });
});

describe("deleting a conversation that answered from a document, on the real model", () => {
  it("leaves no byte of the document's text in the database files", async () => {
    // Lowercase and ending in a digit, so the FTS index holds the same bytes (see test/db/delete.test.ts).
    const marker = "xkq4docsecret7";
    const conversation = await t.service.createConversation({});
    const text = `${asText.toString("utf8")}\n\nThe local certificate password is ${marker}, kept with the CA files.\n`;
    await t.service.attachDocument({
      conversationId: conversation.id,
      name: `notes-${marker}.txt`,
      mediaType: "text/plain",
      contentBase64: Buffer.from(text).toString("base64"),
    });
    const done = expectDone(
      await t.service.sendMessage({ conversationId: conversation.id, text: "What is the local certificate password?" }, recorder().onEvent),
    );
    expect((await t.service.messageSources({ messageId: done.message.id })).sources.some((s) => s.text.includes(marker))).toBe(true);
    const files = () =>
      ["", "-wal", "-shm"]
        .map((suffix) => t.store.path + suffix)
        .filter((file) => existsSync(file) && readFileSync(file).toString("latin1").toLowerCase().includes(marker));
    expect(files().length).toBeGreaterThan(0);

    await t.service.deleteConversation({ conversationId: conversation.id });
    expect(files()).toEqual([]);
    expect((await t.service.search({ q: marker })).documentHits).toEqual([]);
  });
});
