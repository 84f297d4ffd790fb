/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExportFile } from "../../db/index";
import { testModelPath } from "../helpers/model";
import { ensureUiBuilt, openApp, screenshotBothThemes, serve, type Served } from "./harness";
import { exportFileOf } from "./seed";

const readme = readFileSync(path.join(import.meta.dirname, "..", "documents", "fixtures", "ca-certificates-README.Debian.txt"));
const QUESTION = "Where do I put local CA certificate files so that they are trusted?";
const ANSWER = "/usr/local/share/ca-certificates/";

let served: Served;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

/** A conversation whose answer cites its document as [1]: what a larger model writes. */
function citedConversation(): string {
  const file = JSON.parse(
    exportFileOf([
      {
        title: "Certificates, cited",
        messages: [
          { role: "user", content: QUESTION },
          {
            role: "assistant",
            content: `Put them into ${ANSWER} and run update-ca-certificates [1].`,
            stats: { tokens: 20, forwardPasses: 20, drafted: 0, accepted: 0, ms: 400, tokensPerSecond: 50, copiedSpans: [], passages: 1 },
          },
        ],
      },
    ]),
  ) as ExportFile;
  const conversation = file.conversations[0]!;
  const text = readme.toString("utf8");
  const start = text.indexOf("If you want to install local");
  conversation.documents = [{ id: "readme-doc", name: "README.Debian", mediaType: "text/plain", bytes: readme.length, createdAt: Date.now(), text }];
  conversation.messages[0]!.sources = [{ n: 1, documentId: "readme-doc", startChar: start, endChar: start + 300 }];
  return JSON.stringify(file);
}

beforeAll(async () => {
  ensureUiBuilt();
  served = await serve({ model: await testModelPath(), cheapDrafts: true });
  // Greedy, so that what the reply copies from the document is the same at every run.
  await served.api.updateSettings({ maxTokens: 40, samplingPreset: "precise" });
  await served.api.importConversations({ content: citedConversation() });
  ({ browser, page } = await openApp(served, pageErrors));
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe("documents in Chromium against npm run serve with the real model", () => {
  it("attaches a file through the file input, shows its chip, answers from it and opens the passage", async () => {
    await page.getByRole("button", { name: "New chat" }).click();
    // The file input belongs to the open conversation: wait until that is the new one.
    await expect.poll(() => page.locator("section.chat header h1").textContent()).toBe("New conversation");
    await page.getByTestId("attach-input").setInputFiles([{ name: "README.Debian", mimeType: "", buffer: readme }]);
    const chips = page.getByRole("list", { name: "Attached documents" });
    await expect.poll(() => chips.textContent(), { timeout: 30_000 }).toMatch(/README\.Debian\s*2\.8 KB · ready/);

    // A binary file is refused with its own error, and the good one stays.
    await page.getByTestId("attach-input").setInputFiles([{ name: "photo.txt", mimeType: "text/plain", buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1]) }]);
    await expect.poll(() => chips.textContent()).toContain('"photo.txt" cannot be attached: it is a binary file, not text.');
    await page.getByRole("button", { name: "Dismiss photo.txt" }).click();

    const composer = page.getByRole("textbox", { name: "Message" });
    await composer.fill(QUESTION);
    await composer.press("Enter");
    const reply = page.locator("article.assistant").last();
    await reply.getByRole("button", { name: /tok\/s/ }).waitFor({ timeout: 180_000 });

    await reply.getByRole("button", { name: "Open source 1" }).last().click();
    const panel = page.getByRole("complementary", { name: "Passage of README.Debian" });
    await expect.poll(() => panel.textContent()).toContain(ANSWER);
    await expect.poll(() => panel.textContent()).toContain("Source [1]");
    await screenshotBothThemes(page, "documents-passage");

    // The speed badge names the document among the sources the reply copied from.
    const conversationId = (await served.api.listConversations({})).items[0]!.id;
    const [document] = (await served.api.listDocuments({ conversationId })).documents;
    const answer = (await served.api.getConversation({ conversationId })).messages.at(-1)!;
    expect(answer.stats?.copiedSpans.some((s) => s.sourceId === document!.id)).toBe(true);
    await reply.getByRole("button", { name: /tok\/s/ }).click();
    await expect.poll(() => reply.locator(".popover").textContent()).toContain("From the document README.Debian");
    await screenshotBothThemes(page, "documents-speed-badge");
    await reply.locator(".popover .source", { hasText: "README.Debian" }).first().click();
    await expect.poll(() => page.getByRole("complementary").textContent()).toContain("Copied text");
  });

  it("attaches files dropped on the conversation and pasted into the message box", async () => {
    const chips = page.getByRole("list", { name: "Attached documents" });
    const files = (name: string, text: string) =>
      page.evaluateHandle(
        ([n, t]) => {
          const transfer = new DataTransfer();
          transfer.items.add(new File([t], n, { type: "text/markdown" }));
          return transfer;
        },
        [name, text] as const,
      );
    await page.dispatchEvent("section.chat", "drop", { dataTransfer: await files("dropped.md", "# Dropped notes") });
    await expect.poll(() => chips.textContent()).toContain("dropped.md");
    const clipboard = await files("pasted.md", "# Pasted notes");
    await page.getByRole("textbox", { name: "Message" }).evaluate(
      (box, data) => box.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true })),
      clipboard,
    );
    await expect.poll(() => chips.textContent()).toContain("pasted.md");
    await page.getByRole("button", { name: "Remove pasted.md" }).click();
    await expect.poll(() => chips.textContent()).not.toContain("pasted.md");
  });

  it("follows a citation [n] in a reply's text to its passage", async () => {
    await page.getByRole("button", { name: /Certificates, cited/ }).first().click();
    const reply = page.locator("article.assistant").last();
    await reply.locator("button.cite", { hasText: "[1]" }).click();
    const panel = page.getByRole("complementary", { name: "Passage of README.Debian" });
    await expect.poll(() => panel.textContent()).toContain("If you want to install local certificate authorities");
    await screenshotBothThemes(page, "documents-citation");
  });

  it("finds document text in global search", async () => {
    const search = page.getByRole("searchbox").first();
    await search.fill("reverse dependencies");
    const hit = page.locator("button.hit[data-document-id]").first();
    await hit.waitFor();
    expect(await hit.textContent()).toContain("README.Debian");
    await hit.click();
    await expect.poll(() => page.getByRole("complementary").textContent()).toMatch(/reverse\s+dependencies/);
    expect(pageErrors).toEqual([]);
  });
});
