import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { refuse } from "./refuse";

/** What the worker sends back: the pages' text, or the error pdf.js raised. */
type WorkerResult = { ok: true; pages: string[] } | { ok: false; name: string; message: string };

// pdf.js runs in a worker thread of its own, never in the main process. Its legacy build (the one
// for Node) brings core-js polyfills that replace globals such as JSON.parse with JavaScript
// versions: loaded in the main process, they made parsing a 28 MB request body take 10 s instead of
// 0.1 s. The worker also keeps a large PDF's parse off the event loop that streams replies.
// The worker's code is a script (eval) so that it runs the same from source, in tests and bundled.
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
(async () => {
  const pdfjs = await import(workerData.pdfjsUrl);
  const task = pdfjs.getDocument({
    data: workerData.bytes,
    isEvalSupported: false,
    disableFontFace: true,
    stopAtErrors: true,
    verbosity: pdfjs.VerbosityLevel.ERRORS,
  });
  try {
    const document = await task.promise;
    const pages = [];
    for (let number = 1; number <= document.numPages; number++) {
      const page = await document.getPage(number);
      const content = await page.getTextContent();
      let text = "";
      for (const item of content.items) if ("str" in item) text += item.str + (item.hasEOL ? "\\n" : "");
      pages.push(text);
      page.cleanup();
    }
    parentPort.postMessage({ ok: true, pages });
  } catch (error) {
    parentPort.postMessage({ ok: false, name: String(error && error.name), message: String(error && error.message) });
  } finally {
    await task.destroy();
  }
})();
`;

let pdfjsUrl: string | undefined;

/**
 * In the packaged app pdf.js is unpacked beside the asar archive (build/electron-builder.yml): an
 * ES module import by file URL reads the real file system, which has no archive in it.
 */
export function unpacked(file: string): string {
  return file.replace(/([\\/])app\.asar([\\/])/, "$1app.asar.unpacked$2");
}

function runWorker(bytes: Uint8Array): Promise<WorkerResult> {
  pdfjsUrl ??= pathToFileURL(unpacked(createRequire(import.meta.url).resolve("pdfjs-dist/legacy/build/pdf.mjs"))).href;
  // A copy: pdf.js takes ownership of the buffer it is given.
  const worker = new Worker(workerSource, { eval: true, workerData: { pdfjsUrl, bytes: new Uint8Array(bytes) } });
  return new Promise<WorkerResult>((resolve, reject) => {
    worker.once("message", (result: WorkerResult) => resolve(result));
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the PDF reader stopped (exit code ${code})`)));
  }).finally(() => void worker.terminate());
}

/**
 * The text of a PDF, page by page, through pdf.js: text items joined as pdf.js lays them out, a line
 * break where it reports one, a blank line between pages. Encrypted and damaged files are refused
 * with what is wrong.
 */
export async function pdfToText(name: string, bytes: Uint8Array): Promise<string> {
  if (!hasPdfHeader(bytes)) throw refuse(name, "it is not a PDF file (it lacks the %PDF- header).");
  let result: WorkerResult;
  try {
    result = await runWorker(bytes);
  } catch (error) {
    throw refuse(name, `the PDF could not be read (${(error as Error).message}).`);
  }
  if (result.ok) return result.pages.map((page) => page.trimEnd()).join("\n\n");
  if (result.name === "PasswordException") {
    throw refuse(name, "the PDF is encrypted with a password. Save an unprotected copy and attach that.");
  }
  throw refuse(name, `the PDF is damaged (${result.message}).`);
}

function hasPdfHeader(bytes: Uint8Array): boolean {
  // Readers accept the header anywhere in the first kilobyte, after some junk.
  return Buffer.from(bytes.subarray(0, 1024)).toString("latin1").includes("%PDF-");
}
