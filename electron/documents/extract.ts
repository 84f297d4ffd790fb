import { htmlToText } from "./html";
import { pdfToText } from "./pdf";
import { refuse } from "./refuse";

/** How a file's text is taken out of it. */
type DocumentKind = "pdf" | "html" | "text";

const HTML_EXTENSIONS = new Set(["html", "htm", "xhtml"]);
const HTML_TYPES = new Set(["text/html", "application/xhtml+xml"]);

function extension(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
}

function kindOf(name: string, mediaType: string): DocumentKind {
  const ext = extension(name);
  const type = mediaType.toLowerCase().split(";")[0]!.trim();
  if (ext === "pdf" || type === "application/pdf") return "pdf";
  if (HTML_EXTENSIONS.has(ext) || HTML_TYPES.has(type)) return "html";
  // Everything else is read as text if its bytes are text: Markdown, source files and READMEs
  // without a known extension alike; a binary file is told apart by its bytes, not its name.
  return "text";
}

// A text file holds almost no control characters besides tab, newlines and form feed; a binary file
// decoded as text is full of them.
const CONTROL = /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g;
const MAX_CONTROL_SHARE = 0.01;

/**
 * The bytes as text: UTF-8 (with or without a byte order mark) or UTF-16 with its byte order mark.
 * Anything else is refused rather than guessed at: a wrong guess would index mojibake.
 */
function decodeText(name: string, bytes: Uint8Array): string {
  let encoding: "utf-8" | "utf-16le" | "utf-16be" = "utf-8";
  if (bytes[0] === 0xff && bytes[1] === 0xfe) encoding = "utf-16le";
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) encoding = "utf-16be";
  else if (bytes.includes(0)) throw refuse(name, "it is a binary file, not text.");
  let text: string;
  try {
    // The decoder drops a byte order mark itself.
    text = new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    throw refuse(
      name,
      `its text is in an encoding Reprise does not read (not ${encoding === "utf-8" ? "UTF-8" : "valid UTF-16"}). Save it as UTF-8 and attach it again.`,
    );
  }
  const controls = text.match(CONTROL)?.length ?? 0;
  if (controls > text.length * MAX_CONTROL_SHARE) throw refuse(name, "it is a binary file, not text.");
  return text.replace(/\r\n?/g, "\n");
}

/**
 * The text of an attached file (newlines as \n): PDF through pdf.js, HTML through parse5, everything
 * else read as text. Throws a `bad_request` ApiError that names the file and the problem.
 */
export async function extractText(name: string, mediaType: string, bytes: Uint8Array): Promise<string> {
  if (bytes.length === 0) throw refuse(name, "the file is empty.");
  const kind = kindOf(name, mediaType);
  const text =
    kind === "pdf" ? await pdfToText(name, bytes) : kind === "html" ? htmlToText(decodeText(name, bytes)) : decodeText(name, bytes);
  if (text.trim() === "") {
    throw refuse(
      name,
      kind === "pdf"
        ? "the PDF has no text in it (a scanned PDF holds pictures of pages, and Reprise reads text only)."
        : "it holds no text.",
    );
  }
  return text;
}
