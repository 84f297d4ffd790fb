/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testModelPath } from "../helpers/model";
import { ensureUiBuilt, openApp, screenshotBothThemes, serve, type Served } from "./harness";
import { exportFileOf } from "./seed";

/** Asked twice, in two conversations: the second answer can be drafted from the first. */
const question = "Describe the zebra migration in one sentence.";
const codeAnswer = [
  "Open the file with a `with` block, so it is closed even if reading fails:",
  "",
  "```python",
  "from pathlib import Path",
  "",
  "def read_lines(path: str) -> list[str]:",
  '    """Return the lines of a text file, without their newlines."""',
  '    with open(path, encoding="utf-8") as file:',
  "        return [line.rstrip(\"\\n\") for line in file]",
  "",
  'print(len(read_lines("notes.txt")))',
  "```",
  "",
  "For small files `Path(path).read_text()` is shorter.",
].join("\n");

let served: Served;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

function lastMessage(role: "user" | "assistant"): Locator {
  return page.locator(`article.${role}`).last();
}

/** Sends a message from the composer and waits for the finished reply's speed badge. */
async function sendAndWait(text: string): Promise<Locator> {
  const before = await page.locator("article.assistant").count();
  const composer = page.getByRole("textbox", { name: "Message" });
  await composer.fill(text);
  await composer.press("Enter");
  await expect.poll(() => page.locator("article.assistant").count(), { timeout: 60_000 }).toBeGreaterThan(before);
  const reply = lastMessage("assistant");
  await reply.getByRole("button", { name: /tok\/s/ }).waitFor({ timeout: 120_000 });
  return reply;
}

async function title(): Promise<string> {
  return (await page.locator("section.chat header h1").textContent()) ?? "";
}

beforeAll(async () => {
  ensureUiBuilt();
  const model = await testModelPath();
  served = await serve({ model, cheapDrafts: true });
  // Short replies: the model is tiny and the machine shared; what is tested is the UI around them.
  // Greedy, so that asking a question again gives the answer it gave before, to copy from.
  await served.api.updateSettings({ maxTokens: 24, samplingPreset: "precise" });
  await served.api.importConversations({
    content: exportFileOf([
      {
        title: "Reading files in Python",
        messages: [
          { role: "user", content: "How do I read a text file line by line in Python?" },
          { role: "assistant", content: codeAnswer },
        ],
      },
    ]),
  });
  ({ browser, page } = await openApp(served, pageErrors));
  // On a machine that has never measured the model's cost curve, the engine measures it here (about a minute).
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe("the main flow, in Chromium against npm run serve with the real model", () => {
  it("streams the first message and renders it", async () => {
    await page.getByRole("button", { name: "New chat" }).click();
    await expect.poll(title).toBe("New conversation");
    // Record the reply's length as it grows: streaming means several sizes before the end.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { lengths: number[] }).lengths = seen;
      const timer = setInterval(() => {
        const live = document.querySelectorAll("article.assistant .markdown");
        const text = live[live.length - 1]?.textContent ?? "";
        if (text.length > 0 && seen.at(-1) !== text.length) seen.push(text.length);
        if (document.querySelector("article.assistant .speed")) clearInterval(timer);
      }, 5);
    });
    const reply = await sendAndWait(question);
    const lengths = await page.evaluate(() => (window as unknown as { lengths: number[] }).lengths);
    expect(lengths.length, `reply sizes seen while streaming: ${lengths.join(", ")}`).toBeGreaterThan(1);
    expect((await reply.locator(".markdown").textContent())?.trim().length).toBeGreaterThan(0);
    // The service titles the conversation from its first question, and the header follows.
    await expect.poll(title).toContain("zebra");
    const detail = await served.api.getConversation({ conversationId: (await served.api.listConversations({})).items[0]!.id });
    expect(detail.messages.map((m) => [m.role, m.status])).toEqual([
      ["user", "complete"],
      ["assistant", "complete"],
    ]);
  });

  it("stops a reply and keeps what was written", async () => {
    // Plain decoding: drafted from the turn before, a long reply can end before the click lands.
    await served.api.updateSettings({ maxTokens: 400, drafting: "off" });
    try {
      const composer = page.getByRole("textbox", { name: "Message" });
      await composer.fill("Tell a very long story about a lighthouse keeper and the sea.");
      await composer.press("Enter");
      const stop = page.getByRole("button", { name: /Stop/ });
      await stop.waitFor();
      await expect.poll(async () => (await lastMessage("assistant").locator(".markdown").count()) > 0, { timeout: 60_000 }).toBe(true);
      await stop.click();
      await lastMessage("assistant").getByText("Stopped.").waitFor({ timeout: 30_000 });
      await page.getByRole("button", { name: "Send", exact: true }).waitFor();
      const conversationId = (await served.api.listConversations({})).items[0]!.id;
      const last = (await served.api.getConversation({ conversationId })).messages.at(-1)!;
      expect(last.status).toBe("interrupted");
      expect(last.content.length).toBeGreaterThan(0);
    } finally {
      await served.api.updateSettings({ maxTokens: 24, drafting: "reference" });
    }
  });

  it("regenerates a reply as a second version", async () => {
    await lastMessage("assistant").getByRole("button", { name: "Regenerate reply" }).click();
    const switcher = lastMessage("assistant").getByRole("group", { name: "Versions of this message" });
    await switcher.waitFor({ timeout: 60_000 });
    await lastMessage("assistant").getByRole("button", { name: /tok\/s/ }).waitFor({ timeout: 120_000 });
    expect(await switcher.textContent()).toContain("2 / 2");
  });

  it("edits a question into a new branch, and the switcher moves between branches", async () => {
    const original = await lastMessage("user").locator(".plain").textContent();
    await lastMessage("user").getByRole("button", { name: "Edit and resend" }).click();
    const edit = page.getByRole("textbox", { name: "Edit message" });
    await edit.fill("Tell a short story about a lighthouse.");
    await edit.press("Enter");
    const question = lastMessage("user");
    // The earlier reply, badge and all, is on the page until the new branch takes its place.
    await expect.poll(() => question.locator(".plain").textContent(), { timeout: 120_000 }).toBe("Tell a short story about a lighthouse.");
    const switcher = question.getByRole("group", { name: "Versions of this message" });
    // Only once the switcher counts the new branch is the last reply the new one, not the earlier reply.
    await expect.poll(() => switcher.textContent(), { timeout: 120_000 }).toContain("2 / 2");
    await lastMessage("assistant").getByRole("button", { name: /tok\/s/ }).waitFor({ timeout: 120_000 });

    await switcher.getByRole("button", { name: "Previous version" }).click();
    await expect.poll(() => lastMessage("user").locator(".plain").textContent()).toBe(original);
    expect(await lastMessage("user").getByRole("group", { name: "Versions of this message" }).textContent()).toContain("1 / 2");
    await lastMessage("user").getByRole("button", { name: "Next version" }).click();
    await expect.poll(() => lastMessage("user").locator(".plain").textContent()).toBe("Tell a short story about a lighthouse.");
  });

  it("shows the speed badge on a reply drafted from an earlier answer, marks what was copied and links to it", async () => {
    await page.getByRole("list", { name: "Conversations" }).getByRole("button", { name: "Reading files in Python" }).click();
    await expect.poll(title).toBe("Reading files in Python");
    const reply = await sendAndWait(question);
    const badge = reply.getByRole("button", { name: /tok\/s/ });
    const text = (await badge.textContent()) ?? "";
    // Whether it shows "N× faster" is a matter of this machine's timings, which no test asserts.
    expect(text).toMatch(/\d+% drafted from references/);
    expect(await badge.getAttribute("title")).toMatch(/\d+\.\d tokens per forward pass/);

    // Hovering marks the copied spans; clicking lists where they came from.
    await badge.hover();
    await expect.poll(() => reply.locator("mark.copied").count()).toBeGreaterThan(0);
    await screenshotBothThemes(page, "conversation");
    await badge.click();
    const sources = reply.getByRole("button", { name: /open source message/ });
    expect(await sources.count()).toBeGreaterThan(0);
    await screenshotBothThemes(page, "speed-badge-sources");

    // The first answer to the same question, in the conversation it was asked in.
    const elsewhere = reply.getByRole("button", { name: /From another conversation/ }).first();
    await elsewhere.click();
    await expect.poll(title).toContain("zebra");
    await page.locator("article.flash").waitFor();
  });

  it("finds an old message with search and opens it", async () => {
    await page.getByRole("button", { name: "New chat" }).click();
    await expect.poll(title).toBe("New conversation");
    const search = page.getByRole("searchbox", { name: "Search all conversations" });
    await search.fill("lighthouse keeper");
    const results = page.getByRole("list", { name: "Search results" });
    await results.waitFor();
    expect(await results.locator("mark").first().textContent()).toMatch(/lighthouse|keeper/i);
    const hit = results.getByRole("button").first();
    const messageId = await hit.getAttribute("data-message-id");
    await hit.click();
    await expect.poll(title).toContain("zebra");
    // The question was edited since: the hit is on the branch that is not shown, and opening it shows that branch.
    const opened = page.locator(`article[data-message-id="${messageId}"]`);
    await opened.waitFor();
    expect(await opened.textContent()).toMatch(/lighthouse keeper/i);
    await screenshotBothThemes(page, "search");
    await search.fill("");
  });

  it("works from the keyboard alone", async () => {
    const focused = () =>
      page.evaluate(() => {
        const element = document.activeElement as HTMLElement & { labels?: NodeListOf<HTMLLabelElement> };
        return element.getAttribute("aria-label") ?? element.labels?.[0]?.textContent ?? element.textContent?.trim();
      });
    // New conversation, the caret in the message box.
    await page.keyboard.press("Control+Shift+O");
    await expect.poll(title).toBe("New conversation");
    await expect.poll(focused).toBe("Message");
    await page.keyboard.type("Name three colors.");
    await page.keyboard.press("Enter");
    await lastMessage("assistant").getByRole("button", { name: /tok\/s/ }).waitFor({ timeout: 120_000 });

    // Search, arrow down to the first hit, open it.
    await page.keyboard.press("Control+K");
    await expect.poll(focused).toBe("Search all conversations");
    await page.keyboard.type("zebra migration");
    const results = page.getByRole("list", { name: "Search results" });
    await results.waitFor();
    // Two conversations asked this question; which ranks first depends on the model's answers.
    const firstHitTitle = await results.getByRole("button").first().locator(".title").textContent();
    expect(firstHitTitle).toBeTruthy();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await expect.poll(title).toBe(firstHitTitle);

    // Back to the list: Escape clears the search, Tab reaches the conversations, arrows move, Enter opens.
    await page.keyboard.press("Control+K");
    await page.keyboard.press("Escape");
    await page.keyboard.press("Tab");
    const first = await focused();
    await page.keyboard.press("ArrowDown");
    const second = await focused();
    expect(second).not.toBe(first);
    await page.keyboard.press("Enter");
    await expect.poll(title).toBe(second);

    await page.keyboard.press("Control+L");
    await expect.poll(focused).toBe("Message");
    expect(pageErrors).toEqual([]);
  });
});

describe("settings, themes, export and import", () => {
  it("changes generation settings and the theme, and exports and imports conversations", async () => {
    await page.keyboard.press("Control+,");
    const dialog = page.getByRole("dialog", { name: "Settings" });
    await dialog.waitFor();
    await screenshotBothThemes(page, "settings");

    await dialog.getByRole("checkbox", { name: /Acceleration/ }).uncheck();
    await expect.poll(async () => (await served.api.getSettings({})).drafting).toBe("off");
    await dialog.getByRole("checkbox", { name: /Acceleration/ }).check();
    await expect.poll(async () => (await served.api.getSettings({})).drafting).toBe("reference");
    const sampling = dialog.getByRole("combobox", { name: "Sampling" });
    await sampling.selectOption("custom");
    await expect.poll(async () => (await served.api.getSettings({})).samplingPreset).toBe("custom");
    const temperature = dialog.getByRole("spinbutton", { name: /Temperature/ });
    await temperature.fill("0.7");
    await temperature.press("Tab");
    await expect.poll(async () => (await served.api.getSettings({})).temperature).toBe(0.7);
    const topK = dialog.getByRole("spinbutton", { name: /Top-k/ });
    await topK.fill("20");
    await topK.press("Tab");
    await expect.poll(async () => (await served.api.getSettings({})).topK).toBe(20);
    await sampling.selectOption("precise");
    await expect.poll(async () => (await served.api.getSettings({})).samplingPreset).toBe("precise");
    await expect.poll(() => temperature.count()).toBe(0);

    // A chosen theme wins over the system's.
    await dialog.getByRole("radio", { name: "Dark" }).check();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe("rgb(23, 24, 28)");
    await dialog.getByRole("radio", { name: "Follow the system" }).check();
    expect(await page.evaluate(() => document.documentElement.dataset.theme ?? null)).toBeNull();

    const [download] = await Promise.all([page.waitForEvent("download"), dialog.getByRole("button", { name: "Export all (JSON)" }).click()]);
    const exported = await download.path();
    const file = JSON.parse(await import("node:fs").then((fs) => fs.promises.readFile(exported, "utf8"))) as {
      format: string;
      conversations: unknown[];
    };
    expect(file.format).toBe("reprise.conversations");
    const before = (await served.api.listConversations({})).items.length;
    expect(file.conversations).toHaveLength(before);

    const [chooser] = await Promise.all([page.waitForEvent("filechooser"), dialog.getByRole("button", { name: "Import…" }).click()]);
    await chooser.setFiles(exported);
    await dialog.getByText(`Imported ${before} conversations.`).waitFor();
    expect((await served.api.listConversations({})).items.length).toBe(2 * before);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
  });
});

describe("first run", () => {
  let modelLess: Served;

  beforeAll(async () => {
    modelLess = await serve({ model: null });
  });

  afterAll(async () => {
    await modelLess?.stop();
  });

  it("offers to download or open a model, and explains what went wrong", async () => {
    const firstRun = await browser.newPage({ viewport: { width: 1280, height: 820 } });
    await firstRun.goto(modelLess.pageUrl);
    await firstRun.getByRole("heading", { name: "Welcome to Reprise" }).waitFor();
    expect(await firstRun.getByRole("alert").first().textContent()).toContain("No model found");
    await screenshotBothThemes(firstRun, "first-run");

    await firstRun.getByRole("textbox", { name: /Path of a GGUF file/ }).fill("/nonexistent/model.gguf");
    await firstRun.getByRole("button", { name: "Open" }).click();
    await expect.poll(() => firstRun.getByRole("alert").first().textContent(), { timeout: 30_000 }).toMatch(/nonexistent\/model\.gguf/);
    await screenshotBothThemes(firstRun, "first-run-error");
    await firstRun.close();
  });
});
