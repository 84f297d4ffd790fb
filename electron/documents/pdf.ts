import { refuse } from "./refuse";

/**
 * The text of a PDF, page by page, through pdf.js (its legacy build, the one for Node). Text items
 * are joined as pdf.js lays them out: a line break where it reports one, a blank line between pages.
 * Encrypted and damaged files are refused with what is wrong.
 */
export async function pdfToText(name: string, bytes: Uint8Array): Promise<string> {
  // Loaded on first use: pdf.js is large and most conversations have no PDF.
  const pdfjs = await import("pdfjs-dist/legacy/build/pdf.mjs");
  if (!startsWithPdfHeader(bytes)) throw refuse(name, "it is not a PDF file (it lacks the %PDF- header).");
  const task = pdfjs.getDocument({
    // pdf.js takes ownership of the buffer it is given; the caller's bytes stay intact.
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    disableFontFace: true,
    stopAtErrors: true,
    verbosity: pdfjs.VerbosityLevel.ERRORS,
  });
  let document: Awaited<typeof task.promise>;
  try {
    document = await task.promise;
  } catch (error) {
    await task.destroy();
    const kind = (error as Error).name;
    if (kind === "PasswordException") throw refuse(name, "the PDF is encrypted with a password. Save an unprotected copy and attach that.");
    throw refuse(name, `the PDF is damaged (${(error as Error).message}).`);
  }
  try {
    const pages: string[] = [];
    for (let number = 1; number <= document.numPages; number++) {
      const page = await document.getPage(number);
      const content = await page.getTextContent();
      let text = "";
      for (const item of content.items) {
        if ("str" in item) text += item.str + (item.hasEOL ? "\n" : "");
      }
      pages.push(text.trimEnd());
      page.cleanup();
    }
    return pages.join("\n\n");
  } catch (error) {
    throw refuse(name, `the PDF is damaged (${(error as Error).message}).`);
  } finally {
    await document.destroy();
  }
}

function startsWithPdfHeader(bytes: Uint8Array): boolean {
  // The header may follow some junk, within the first kilobyte (as readers accept it).
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 1024));
  return head.includes("%PDF-");
}
