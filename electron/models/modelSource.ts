/**
 * What a user may paste to name a model file on Hugging Face: a file's URL
 * (`https://huggingface.co/owner/repo/resolve/main/file.gguf`, or its `/blob/` page) or a
 * node-llama-cpp URI (`hf:owner/repo/file.gguf`, optionally `#revision`). Parsed to one shape whose
 * every part is checked against a strict alphabet, so nothing pasted can reach another host, climb
 * out of the model folder or smuggle a second path segment in percent-encoding.
 *
 * Browser-safe: the renderer checks a pasted text with the same rules before sending it.
 */

export interface HuggingFaceFile {
  owner: string;
  repo: string;
  /** Branch, tag or commit. */
  revision: string;
  /** The file's path inside the repository, "/"-separated. */
  filePath: string;
}

export class ModelSourceError extends Error {
  override name = "ModelSourceError";
}

/** Longest input considered (characters): a real Hugging Face URL is far shorter. */
export const MAX_SOURCE_CHARS = 2048;

const hosts = new Set(["huggingface.co", "hf.co"]);
const namePart = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
const revisionPart = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const pathSegment = /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,199}$/;
const maxPathSegments = 8;
// llama.cpp reads a split model from all its parts; downloading the first one alone gives a file that cannot load.
const splitPart = /-\d{5}-of-\d{5}\.gguf$/i;

function checkName(value: string, what: string): string {
  if (!namePart.test(value) || value.includes("..")) throw new ModelSourceError(`"${value}" is not a valid Hugging Face ${what} name.`);
  return value;
}

function checkFilePath(segments: string[]): string {
  if (segments.length === 0 || segments.length > maxPathSegments) throw new ModelSourceError("The address does not name a file.");
  for (const segment of segments) {
    if (!pathSegment.test(segment) || segment.includes("..")) {
      throw new ModelSourceError(`"${segment}" is not a file or folder name Reprise accepts.`);
    }
  }
  const filePath = segments.join("/");
  if (!/\.gguf$/i.test(filePath)) throw new ModelSourceError("That file is not a GGUF model (its name must end in .gguf).");
  if (splitPart.test(filePath)) {
    throw new ModelSourceError("That model is split into several files; Reprise downloads single-file GGUF models only.");
  }
  return filePath;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ModelSourceError("The address has a broken %-escape.");
  }
}

function parseUri(body: string): HuggingFaceFile {
  const hash = body.indexOf("#");
  const location = hash === -1 ? body : body.slice(0, hash);
  const revision = hash === -1 ? "main" : body.slice(hash + 1);
  const [owner = "", repoPart = "", ...rest] = location.split("/");
  if (rest.length === 0) {
    const tag = repoPart.includes(":") ? ` (${repoPart.slice(repoPart.indexOf(":") + 1)})` : "";
    throw new ModelSourceError(
      `That names a repository${tag}, not a file: use hf:owner/repo/file.gguf, or paste the file's address from its Hugging Face page.`,
    );
  }
  if (!revisionPart.test(revision)) throw new ModelSourceError(`"${revision}" is not a valid revision.`);
  return { owner: checkName(owner, "user"), repo: checkName(repoPart, "repository"), revision, filePath: checkFilePath(rest) };
}

function parseUrl(text: string): HuggingFaceFile {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ModelSourceError("That is not a web address.");
  }
  if (url.protocol !== "https:") throw new ModelSourceError("Only https:// addresses of Hugging Face are accepted.");
  if (!hosts.has(url.hostname.toLowerCase()) || url.port !== "") {
    throw new ModelSourceError(`Reprise downloads models from Hugging Face only, not from ${url.host}.`);
  }
  if (url.username || url.password) throw new ModelSourceError("The address must not carry a user name or password.");
  // The raw path, split before decoding: an encoded "/" (%2F) must stay inside its segment and fail there.
  const segments = url.pathname.split("/").slice(1).map(decodeSegment);
  const [owner = "", repo = "", kind = "", revision = "", ...rest] = segments;
  if (kind !== "resolve" && kind !== "blob") {
    throw new ModelSourceError("That is not a file's address: open the file on Hugging Face and copy its download link (…/resolve/main/….gguf).");
  }
  if (!revisionPart.test(revision)) throw new ModelSourceError(`"${revision}" is not a valid revision.`);
  return { owner: checkName(owner, "user"), repo: checkName(repo, "repository"), revision, filePath: checkFilePath(rest) };
}

/** Parses a pasted Hugging Face URL or `hf:` URI; throws ModelSourceError saying what is wrong. */
export function parseModelSource(input: string): HuggingFaceFile {
  if (input.length > MAX_SOURCE_CHARS) throw new ModelSourceError("That address is too long.");
  const text = input.trim();
  if (text === "") throw new ModelSourceError("Paste a Hugging Face file address or an hf: URI.");
  if (/[\u0000-\u0020\u007f-\u009f\u2028\u2029]/.test(text)) throw new ModelSourceError("The address has spaces or control characters.");
  if (/^hf:/i.test(text)) return parseUri(text.slice(3));
  return parseUrl(text);
}

export const huggingFaceOrigin = "https://huggingface.co";

/** The file's download address (`/resolve/`), each part escaped. */
export function resolveUrl(file: HuggingFaceFile, origin = huggingFaceOrigin): string {
  const filePath = file.filePath.split("/").map(encodeURIComponent).join("/");
  return `${origin}/${file.owner}/${file.repo}/resolve/${encodeURIComponent(file.revision)}/${filePath}`;
}

/** The node-llama-cpp URI of the file. */
export function huggingFaceUri(file: HuggingFaceFile): string {
  return `hf:${file.owner}/${file.repo}/${file.filePath}${file.revision === "main" ? "" : `#${file.revision}`}`;
}

/** The name the file gets in the model cache: its own base name, which the checks above keep to a safe alphabet. */
export function cacheFileName(file: HuggingFaceFile): string {
  return file.filePath.slice(file.filePath.lastIndexOf("/") + 1);
}
