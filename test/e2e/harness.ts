/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// page.evaluate callbacks run in Chromium, so the e2e files see DOM types.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import type { RepriseApi } from "../../electron/api/contract";
import { createHttpClient } from "../../electron/api/httpClient";

export const root = path.resolve(import.meta.dirname, "../..");
export const screenshotDir = path.join(root, "test-results", "screenshots");

/** Everything the built UI is made from: when any of it is newer than the build, build again. */
const uiSources = ["renderer", "electron/api", "electron/models/modelSource.ts", "electron/shell/channels.ts", "build/electron.vite.config.ts"];

function newestMtime(entry: string): number {
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...fs.readdirSync(entry).map((name) => newestMtime(path.join(entry, name))));
}

/** Builds the UI if out/renderer is missing or older than its sources, so a clean clone works. */
export function ensureUiBuilt(): void {
  const built = path.join(root, "out/renderer/index.html");
  const stale = !fs.existsSync(built) || uiSources.some((source) => newestMtime(path.join(root, source)) > fs.statSync(built).mtimeMs);
  if (!stale) return;
  execFileSync(path.join(root, "node_modules/.bin/electron-vite"), ["build", "--config", "build/electron.vite.config.ts"], {
    cwd: root,
    stdio: "inherit",
  });
}

export interface Served {
  /** The page to open, with the access token in its fragment. */
  pageUrl: string;
  origin: string;
  token: string;
  dataDir: string;
  api: RepriseApi;
  output: () => string;
  stop(): Promise<void>;
}

export interface ServeOptions {
  model: string | null;
  /** A data folder prepared beforehand (say, a seeded database); a new temporary one otherwise. */
  dataDir?: string;
  /**
   * Take verifying a draft as nearly free (`serve --assume-cheap-drafts`). A one-thread server on a
   * shared 2-core machine measures batches at several times a single token and would rarely draft,
   * so no reply could show reuse; drafts still stay within the batch size that evaluates exactly.
   */
  cheapDrafts?: boolean;
}

export async function serve({ model, dataDir, cheapDrafts = false }: ServeOptions): Promise<Served> {
  const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "reprise-e2e-"));
  const args = ["electron/server/serve.ts", "--port", "0", "--data-dir", dir, "--threads", "1"];
  if (model) args.push("--model", model);
  if (cheapDrafts) args.push("--assume-cheap-drafts");
  // Without --model the server loads the cached default model; an empty cache keeps it model-less.
  // With a model, the engine keeps its measured limits in the usual cache, where earlier runs left them.
  const env = model ? process.env : { ...process.env, REPRISE_CACHE_DIR: path.join(dir, "empty-cache") };
  const child: ChildProcess = spawn(path.join(root, "node_modules/.bin/tsx"), args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const ready = model ? /Model (ready|not loaded).*\n/ : /No model found.*\n/;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in time:\n${output}`)), 90_000);
    const check = (): void => {
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${output}`));
    });
  });
  if (/Model not loaded/.test(output)) throw new Error(`serve could not load the model:\n${output}`);
  const [, pageUrl, origin, token] = output.match(/Open ((http:\/\/127\.0\.0\.1:\d+)\/#token=(\S+))/) ?? [];
  if (!pageUrl || !origin || !token) throw new Error(`serve printed no URL:\n${output}`);
  return {
    pageUrl,
    origin,
    token,
    dataDir: dir,
    api: createHttpClient({ baseUrl: origin, token: () => token }),
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** The Chromium the e2e tests drive: `CHROMIUM_PATH`, else Debian's. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const file = env.CHROMIUM_PATH || "/usr/bin/chromium";
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    throw new Error(
      `The end-to-end tests drive Chromium, and there is no executable at ${file}${env.CHROMIUM_PATH ? " (CHROMIUM_PATH)" : ""}. ` +
        "Install Debian's with `apt-get install chromium`, or set CHROMIUM_PATH to a Chromium or Chrome executable.",
    );
  }
  return file;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
}

/** Chromium with the served app open and its conversation list shown; the page's errors go to `errors`. */
export async function openApp(served: Served, errors: string[]): Promise<{ browser: Browser; page: Page }> {
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(served.pageUrl);
  await page.getByRole("list", { name: "Conversations" }).waitFor();
  return { browser, page };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Takes the same view in the light and the dark theme, as the system would set them. */
export async function screenshotBothThemes(page: Page, name: string): Promise<string[]> {
  const files: string[] = [];
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    // Let the transition-free repaint land before the capture.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    files.push(await screenshot(page, `${name}-${scheme}`));
  }
  await page.emulateMedia({ colorScheme: "light" });
  return files;
}
