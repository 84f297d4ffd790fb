import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_CONVERSATION_DOCUMENTS, MAX_DOCUMENT_BYTES, type DocumentInfo } from "../../electron/api/contract";
import { startTestServer, type TestServer } from "../server/helpers";

const fixtures = path.join(import.meta.dirname, "fixtures");
const readme = readFileSync(path.join(fixtures, "ca-certificates-README.Debian.txt"));
const pdf = readFileSync(path.join(fixtures, "ca-certificates-README.Debian.pdf"));

// pdf.js's polyfills must stay in its worker: in this process they would replace JSON.parse.
const nativeJsonParse = JSON.parse;

let t: TestServer;
let conversationId: string;

beforeAll(async () => {
  t = await startTestServer({ model: false });
  conversationId = t.store.createConversation().id;
});
afterAll(() => t.close());

function attach(name: string, bytes: Buffer | string, mediaType = "", target = conversationId) {
  return t.api(`/api/conversations/${encodeURIComponent(target)}/documents`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, mediaType, contentBase64: Buffer.from(bytes).toString("base64") }),
  });
}

async function refused(response: Response, status: number, pattern: RegExp): Promise<void> {
  const body = (await response.json()) as { error: string };
  expect(response.status, body.error).toBe(status);
  expect(body.error).toMatch(pattern);
  // Nothing of a refused file is left: no document, no chunk to find.
  expect(t.store.listDocuments(conversationId).map((d) => d.name)).toEqual(good);
}

/** Names of the documents attached successfully so far, in order. */
const good: string[] = [];

describe("attaching documents over HTTP", () => {
  it("attaches a text file and a PDF made from it, with the same text, and lists them", async () => {
    const text = await attach("README.Debian", readme, "application/octet-stream");
    expect(text.status).toBe(200);
    const doc = (await text.json()) as DocumentInfo;
    good.push("README.Debian");
    expect(doc).toMatchObject({ name: "README.Debian", chars: readme.length, bytes: readme.length });
    expect(doc.chunks).toBeGreaterThan(2);

    const fromPdf = await attach("ca-certificates.pdf", pdf, "application/pdf");
    expect(fromPdf.status).toBe(200);
    const pdfDoc = (await fromPdf.json()) as DocumentInfo;
    good.push("ca-certificates.pdf");
    const pdfText = t.store.documentText(pdfDoc.id);
    // enscript sets quotes as typographic ones and pdf.js reads no blank lines or double spaces:
    // apart from that, every line of the README is there.
    const lines = (s: string) =>
      s.replace(/’/g, "'").split("\n").map((l) => l.replace(/\s+/g, " ").trim()).filter(Boolean);
    expect(lines(pdfText)).toEqual(lines(readme.toString("utf8")));
    expect(JSON.parse).toBe(nativeJsonParse);

    const listed = await t.api(`/api/conversations/${conversationId}/documents`);
    expect(((await listed.json()) as { documents: DocumentInfo[] }).documents.map((d) => d.id)).toEqual([doc.id, pdfDoc.id]);
  });

  it("reads HTML as its visible text and Markdown or source files as they are", async () => {
    const html = `<!doctype html><html><head><title>Certificates</title><style>p{color:red}</style>
      <script>alert("no")</script></head><body><h1>Local  CA</h1><p>Put files in<br>/usr/local/share/ca-certificates/</p>
      <pre>update-ca-certificates
  --fresh</pre></body></html>`;
    const res = await attach("page.html", html, "text/html");
    const doc = (await res.json()) as DocumentInfo;
    good.push("page.html");
    expect(t.store.documentText(doc.id)).toBe(
      "Certificates\n\nLocal CA\n\nPut files in\n/usr/local/share/ca-certificates/\n\nupdate-ca-certificates\n  --fresh",
    );
    const source = "export const answer = 42;\r\n// \u00e9t\u00e9\r\n";
    const ts = (await (await attach("answer.ts", source, "video/mp2t")).json()) as DocumentInfo;
    good.push("answer.ts");
    expect(t.store.documentText(ts.id)).toBe("export const answer = 42;\n// \u00e9t\u00e9\n");
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("# Notes in UTF-16\n", "utf16le")]);
    const md = (await (await attach("notes.md", utf16, "text/markdown")).json()) as DocumentInfo;
    good.push("notes.md");
    expect(t.store.documentText(md.id)).toBe("# Notes in UTF-16\n");
  });

  it("refuses an encrypted PDF", async () => {
    await refused(
      await attach("secret.pdf", readFileSync(path.join(fixtures, "encrypted.pdf")), "application/pdf"),
      400,
      /"secret\.pdf" cannot be attached: the PDF is encrypted with a password/,
    );
  });

  it("refuses a damaged PDF, and a file named .pdf that is not one", async () => {
    await refused(await attach("cut.pdf", pdf.subarray(0, 3000), "application/pdf"), 400, /"cut\.pdf" cannot be attached: the PDF is damaged/);
    await refused(await attach("fake.pdf", "just some words", ""), 400, /"fake\.pdf" cannot be attached: it is not a PDF file/);
  });

  it("refuses a binary file named .txt", async () => {
    const png = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489", "hex");
    await refused(await attach("photo.txt", png, "text/plain"), 400, /"photo\.txt" cannot be attached: it is a binary file, not text/);
    const noNul = Buffer.from(Array.from({ length: 400 }, (_, i) => (i % 3 === 0 ? 0x01 : 0x41)));
    await refused(await attach("controls.txt", noNul, "text/plain"), 400, /it is a binary file, not text/);
  });

  it("refuses an empty file and one with nothing but whitespace", async () => {
    await refused(await attach("empty.txt", "", "text/plain"), 400, /"empty\.txt" cannot be attached: the file is empty/);
    await refused(await attach("blank.md", " \n\n\t ", "text/markdown"), 400, /"blank\.md" cannot be attached: it holds no text/);
  });

  it("refuses a file over the size limit with 413, before reading it", async () => {
    const big = Buffer.alloc(MAX_DOCUMENT_BYTES + 1, 0x61);
    await refused(await attach("big.txt", big, "text/plain"), 413, /"big\.txt" is 20 MB: a document may have at most 20 MB/);
  });

  it("refuses names with path separators or control characters", async () => {
    for (const name of ["../etc/passwd", "folder/file.txt", "C:\\Users\\me\\file.txt", "..", "evil\u0000.txt", "line\nbreak.txt", "invoice\u202Etxt.exe", "   "]) {
      const res = await attach(name, "some text", "text/plain");
      expect(res.status, name).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/holds a path|control characters|needs a file name/);
    }
    expect(t.store.listDocuments(conversationId).map((d) => d.name)).toEqual(good);
  });

  it("refuses text in an unknown encoding", async () => {
    const latin1 = Buffer.from("Caf\u00e9 cr\u00e8me, na\u00efve r\u00e9sum\u00e9", "latin1");
    await refused(
      await attach("menu.txt", latin1, "text/plain"),
      400,
      /"menu\.txt" cannot be attached: its text is in an encoding Reprise does not read \(not UTF-8\)\. Save it as UTF-8/,
    );
  });

  it("refuses content that is not base64 and an unknown conversation", async () => {
    const res = await t.api(`/api/conversations/${conversationId}/documents`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "x.txt", mediaType: "text/plain", contentBase64: "not base64!" }),
    });
    await refused(res, 400, /not valid base64/);
    await refused(await attach("x.txt", "hello", "text/plain", "no-such-conversation"), 404, /Conversation no-such-conversation does not exist/);
  });

  it("deletes a document: its chunks leave retrieval and search", async () => {
    const [first] = t.store.listDocuments(conversationId);
    const res = await t.api(`/api/documents/${first!.id}`, { method: "DELETE" });
    expect(await res.json()).toEqual({ deleted: true });
    good.shift();
    expect(t.store.listDocuments(conversationId).map((d) => d.name)).toEqual(good);
    expect((await t.api(`/api/documents/${first!.id}`, { method: "DELETE" })).status).toBe(404);
  });

  it("refuses a document past the conversation's limit, and takes it in another conversation", async () => {
    const full = t.store.createConversation().id;
    for (let i = 0; i < MAX_CONVERSATION_DOCUMENTS; i++) {
      t.store.addDocument({ conversationId: full, name: `n${i}.txt`, mediaType: "text/plain", bytes: 5, text: `note ${i}` });
    }
    const res = await attach("one-more.txt", "one more", "text/plain", full);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/the conversation has 1000 documents, the most it may have/);
    expect(t.store.listDocuments(full)).toHaveLength(MAX_CONVERSATION_DOCUMENTS);
    expect((await attach("one-more.txt", "one more", "text/plain", t.store.createConversation().id)).status).toBe(200);
  });

  it("finds document text in global search and reads a document's text by range", async () => {
    const res = await t.api(`/api/search?q=${encodeURIComponent("reverse dependencies")}`);
    const body = (await res.json()) as { hits: unknown[]; documentHits: { documentName: string; startChar: number; endChar: number; documentId: string }[] };
    expect(body.documentHits.map((h) => h.documentName)).toContain("ca-certificates.pdf");
    const hit = body.documentHits[0]!;
    const text = await t.api(`/api/documents/${hit.documentId}/text?startChar=${hit.startChar}&endChar=${hit.endChar}`);
    expect(((await text.json()) as { text: string }).text).toMatch(/reverse\s+dependencies/);
    // The sidebar's filter finds the conversation by its document's text.
    const list = await t.api(`/api/conversations?query=${encodeURIComponent("reverse dependencies")}`);
    expect(((await list.json()) as { items: { id: string }[] }).items.map((c) => c.id)).toContain(conversationId);
  });
});
