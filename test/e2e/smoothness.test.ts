/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../db/index";
import { ensureUiBuilt, launchChromium, root, serve, type Served } from "./harness";

const messageCount = 10_000;
/**
 * Rows a viewport of 860 px can show, with the list's overscan: the DOM must stay this small
 * however long the conversation is. Frame times are measured and written to `reportFile`, not
 * asserted: on a shared machine they say as much about the machine as about the list.
 */
const maxRenderedRows = 60;
const reportFile = path.join(root, "test-results", "smoothness.json");
const frameReport: Record<string, FrameStats> = {};

/** Varied heights: one-liners, paragraphs, lists and code, as in a long real conversation. */
function content(i: number): string {
  switch (i % 7) {
    case 0:
      return `Question ${i}: how does step ${i} work?`;
    case 1:
      return `Step ${i} works like this. ${"It reads the input, checks it, and writes the result. ".repeat(1 + (i % 5))}`;
    case 2:
      return `Notes for ${i}:\n\n- first point\n- second point with **bold** text\n- third point with \`code\``;
    case 3:
      return `Here is the code for ${i}:\n\n\`\`\`ts\nexport function step${i}(x: number): number {\n  return x * ${i} + 1;\n}\n\`\`\``;
    case 4:
      return `Short answer ${i}.`;
    case 5:
      return `## Part ${i}\n\n${"A longer paragraph that wraps over several lines in the chat view. ".repeat(4)}`;
    default:
      return `> quoted ${i}\n\nAnd a reply to it.`;
  }
}

/** Writes the conversation straight into a data folder, before the server opens it. */
function seed(dir: string): void {
  const store = Store.open(path.join(dir, "reprise.db"));
  try {
    const conversation = store.createConversation({ title: "Ten thousand messages" });
    let parentId: string | null = null;
    for (let i = 0; i < messageCount; i++) {
      const message = store.appendMessage({
        conversationId: conversation.id,
        parentId,
        role: i % 2 === 0 ? "user" : "assistant",
        content: content(i),
      });
      parentId = message.id;
    }
  } finally {
    store.close();
  }
}

interface FrameStats {
  frames: number;
  p50: number;
  p95: number;
  max: number;
}

function summarize(deltas: number[]): FrameStats {
  const sorted = [...deltas].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { frames: sorted.length, p50: at(0.5), p95: at(0.95), max: sorted.at(-1)! };
}

let served: Served;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  ensureUiBuilt();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-e2e-10k-"));
  seed(dir);
  served = await serve({ model: null, dataDir: dir });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
});

afterAll(async () => {
  fs.mkdirSync(path.dirname(reportFile), { recursive: true });
  fs.writeFileSync(reportFile, JSON.stringify({ messages: messageCount, frames: frameReport }, null, 2));
  console.log(`smoothness: frame times written to ${reportFile}`);
  await browser?.close();
  await served?.stop();
});

/** Starts recording requestAnimationFrame intervals in the page. */
async function startFrames(): Promise<void> {
  await page.evaluate(() => {
    const deltas: number[] = [];
    const w = window as unknown as { frameDeltas: number[]; recording: boolean };
    w.frameDeltas = deltas;
    w.recording = true;
    let last = performance.now();
    const tick = (now: number): void => {
      deltas.push(now - last);
      last = now;
      if (w.recording) requestAnimationFrame(tick);
    };
    requestAnimationFrame((now) => {
      last = now;
      requestAnimationFrame(tick);
    });
  });
}

async function stopFrames(): Promise<FrameStats> {
  const deltas = await page.evaluate(() => {
    const w = window as unknown as { frameDeltas: number[]; recording: boolean };
    w.recording = false;
    return w.frameDeltas;
  });
  return summarize(deltas);
}

/** Keeps the frame times of one activity for the report file, and prints them. */
function report(what: string, stats: FrameStats): void {
  frameReport[what] = stats;
  console.log(
    `smoothness: ${what}: ${stats.frames} frames, p50 ${stats.p50.toFixed(1)} ms, p95 ${stats.p95.toFixed(1)} ms, max ${stats.max.toFixed(1)} ms`,
  );
}

const renderedRows = () => page.locator("[data-index]").count();

describe(`a ${messageCount.toLocaleString("en")}-message conversation`, () => {
  it("opens at its end, rendering only the rows in view", async () => {
    await page.goto(served.pageUrl);
    await page.getByRole("heading", { name: "Ten thousand messages" }).waitFor();
    await page.locator(`[data-index="${messageCount - 1}"]`).waitFor({ timeout: 60_000 });
    const rows = await renderedRows();
    console.log(`smoothness: opened ${messageCount} messages with ${rows} rows in the DOM`);
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThanOrEqual(maxRenderedRows);
  });

  it("scrolls by wheel and by jumps, keeping only the rows in view rendered", async () => {
    const scrollTop = () => page.locator(".viewport").evaluate((element) => element.scrollTop);
    const bottom = await scrollTop();
    await page.locator(".viewport").hover();
    await startFrames();
    // Three seconds of fast wheel scrolling upwards, as a person flicking through history.
    for (let i = 0; i < 90; i++) {
      await page.mouse.wheel(0, -400);
      await page.waitForTimeout(16);
    }
    expect(bottom - (await scrollTop())).toBeGreaterThan(10_000);
    expect(await renderedRows()).toBeLessThanOrEqual(maxRenderedRows);
    // Jumps, as a scrollbar drag does: each lands on rows never measured, and renders them.
    const landed = await page.evaluate(async () => {
      const viewport = document.querySelector<HTMLElement>(".viewport")!;
      const seen: { first: number; rows: number }[] = [];
      for (let i = 0; i < 60; i++) {
        viewport.scrollTop = (viewport.scrollHeight * ((i * 37) % 100)) / 100;
        await new Promise((resolve) => requestAnimationFrame(resolve));
        const indexes = [...document.querySelectorAll<HTMLElement>("[data-index]")].map((row) => Number(row.dataset.index));
        seen.push({ first: Math.min(...indexes), rows: indexes.length });
      }
      return seen;
    });
    report("scrolling", await stopFrames());
    expect(Math.max(...landed.map((l) => l.rows))).toBeLessThanOrEqual(maxRenderedRows);
    // The jumps reached all over the conversation, not only its end.
    expect(Math.min(...landed.map((l) => l.first))).toBeLessThan(messageCount / 10);
    expect(new Set(landed.map((l) => Math.floor(l.first / 1000))).size).toBeGreaterThan(5);
  });

  it("types into the message box", async () => {
    const composer = page.getByRole("textbox", { name: "Message" });
    await composer.click();
    await startFrames();
    await page.keyboard.type("Typing into a conversation of ten thousand messages must stay as quick as in an empty one. ".repeat(2), {
      delay: 20,
    });
    report("typing", await stopFrames());
    expect(await composer.inputValue()).toContain("ten thousand messages");
    expect(await renderedRows()).toBeLessThanOrEqual(maxRenderedRows);
  });
});
