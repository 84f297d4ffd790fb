import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";

/** Why a download failed: each reason has its own message for the user. */
export type DownloadFailure = "not_found" | "denied" | "http" | "network" | "disk_full" | "checksum" | "not_gguf" | "cancelled";

export class DownloadError extends Error {
  override name = "DownloadError";
  constructor(
    readonly reason: DownloadFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface DownloadProgress {
  phase: "downloading" | "verifying";
  receivedBytes: number;
  /** Null until the server says how big the file is. */
  totalBytes: number | null;
}

export interface FileDownloadOptions {
  url: string;
  /** The model cache. */
  dir: string;
  /** A name the caller has already made safe (no folders). */
  fileName: string;
  /** When known beforehand (the catalog's); else read from the server's LFS etag, else unchecked. */
  expectedSha256: string | null;
  signal: AbortSignal;
  onProgress: (progress: DownloadProgress) => void;
  /** How many times a dropped connection is resumed where it stopped (HTTP Range) before giving up. */
  resumeAttempts?: number;
  /** Writes one chunk; tests inject a failing one to stand for a full disk. */
  write?: (file: fs.FileHandle, chunk: Uint8Array) => Promise<unknown>;
}

export interface DownloadedFile {
  path: string;
  sizeBytes: number;
  sha256: string;
  /** False when no sha256 was known or published for the file, so none could be compared. */
  verified: boolean;
}

const maxRedirects = 5;
const sha256Pattern = /^[0-9a-f]{64}$/;

/** While downloading, the file has this name: not a `.gguf`, so nothing takes it for a model. */
function partialName(fileName: string): string {
  return `${fileName}.download`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(0)} MB`;
}

/** Hugging Face sends a file's sha256 as the etag of its LFS object: `x-linked-etag` on the redirect, or the etag itself. */
function publishedSha256(headers: Headers): string | null {
  for (const name of ["x-linked-etag", "etag"]) {
    const value = headers.get(name)?.replace(/^W\//, "").replace(/"/g, "").toLowerCase();
    if (value && sha256Pattern.test(value)) return value;
  }
  return null;
}

function isAbort(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (error as Error | null)?.name === "AbortError";
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return 0;
  }
}

async function sha256Of(file: string, signal: AbortSignal): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash, { signal });
  return hash.digest("hex");
}

interface Opened {
  response: Response;
  sha256: string | null;
}

/** Requests the file from `offset` on, following redirects by hand so the first hop's headers (the sha256) are kept. */
async function open(options: FileDownloadOptions, offset: number): Promise<Opened> {
  let url = options.url;
  let sha256: string | null = null;
  for (let hop = 0; hop <= maxRedirects; hop++) {
    const response = await fetch(url, {
      redirect: "manual",
      signal: options.signal,
      headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
    });
    sha256 ??= publishedSha256(response.headers);
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      const next = new URL(location, url);
      if (next.protocol !== "https:" && next.protocol !== new URL(options.url).protocol) {
        throw new DownloadError("http", `The server sent the download to an address Reprise does not follow (${next.protocol}).`);
      }
      url = next.href;
      continue;
    }
    return { response, sha256 };
  }
  throw new DownloadError("http", "The server redirected the download too many times.");
}

function refuse(response: Response, url: string): never {
  const status = response.status;
  if (status === 404) throw new DownloadError("not_found", `There is no file at ${url} (404). Check the address; the file may have been renamed or removed.`);
  if (status === 401 || status === 403) {
    throw new DownloadError(
      "denied",
      `Hugging Face refused the download (${status}): the model may need you to accept its license on its page, which Reprise cannot do for you.`,
    );
  }
  throw new DownloadError("http", `The download failed: the server answered ${status} ${response.statusText}.`);
}

/**
 * Downloads one model file into `dir` under a temporary name, resuming a dropped connection where
 * it stopped, checks its sha256 and that it is a GGUF, then gives it its real name. A failure never
 * leaves a `.gguf`: the partial file is removed, except after a network failure, when it is kept so
 * that the next try resumes it.
 */
export async function downloadFile(options: FileDownloadOptions): Promise<DownloadedFile> {
  const { dir, fileName, signal, onProgress } = options;
  const write = options.write ?? ((file, chunk) => file.write(chunk));
  const target = path.join(dir, fileName);
  const partial = path.join(dir, partialName(fileName));
  await fs.mkdir(dir, { recursive: true });

  let expected = options.expectedSha256;
  let totalBytes: number | null = null;
  let attemptsLeft = options.resumeAttempts ?? 3;
  try {
    for (;;) {
      let offset = await sizeOf(partial);
      let opened: Opened;
      try {
        opened = await open(options, offset);
      } catch (error) {
        if (error instanceof DownloadError || isAbort(error, signal)) throw error;
        if (attemptsLeft-- <= 0) {
          const reason = ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message;
          throw new DownloadError("network", `Could not reach ${new URL(options.url).host} (${reason}). Check the connection and try again.`);
        }
        continue;
      }
      const { response, sha256 } = opened;
      expected ??= sha256;
      if (response.status === 416) {
        // The partial file is not a prefix the server can continue (it changed upstream): start again.
        await response.body?.cancel();
        await fs.rm(partial, { force: true });
        if (offset === 0) refuse(response, options.url);
        continue;
      }
      if (response.status !== 200 && response.status !== 206) refuse(response, options.url);
      if (response.status === 206 && Number(/^bytes (\d+)-/.exec(response.headers.get("content-range") ?? "")?.[1]) !== offset) {
        // A range that does not start where the partial file ends cannot be appended: start again.
        await response.body?.cancel();
        await fs.rm(partial, { force: true });
        if (attemptsLeft-- <= 0) throw new DownloadError("http", "The server does not resume downloads correctly; try again later.");
        continue;
      }
      if (response.status === 200) offset = 0;
      const length = Number(response.headers.get("content-length") ?? Number.NaN);
      totalBytes = Number.isFinite(length) ? offset + length : null;

      let received = offset;
      onProgress({ phase: "downloading", receivedBytes: received, totalBytes });
      const file = await fs.open(partial, offset > 0 ? "a" : "w");
      try {
        const reader = response.body?.getReader();
        for (let next = await reader?.read(); next && !next.done; next = await reader?.read()) {
          const chunk = next.value;
          await write(file, chunk);
          received += chunk.byteLength;
          onProgress({ phase: "downloading", receivedBytes: received, totalBytes });
        }
      } catch (error) {
        if (isAbort(error, signal) || (error as NodeJS.ErrnoException).code === "ENOSPC") throw error;
        if (attemptsLeft-- <= 0) throw new DownloadError("network", `The connection broke at ${megabytes(received)} (${(error as Error).message}); try again to resume.`);
        continue;
      } finally {
        await file.close();
      }
      if (totalBytes !== null && received < totalBytes) {
        if (attemptsLeft-- <= 0) throw new DownloadError("network", `The connection ended at ${megabytes(received)} of ${megabytes(totalBytes)}; try again to resume.`);
        continue;
      }
      break;
    }

    const sizeBytes = await sizeOf(partial);
    onProgress({ phase: "verifying", receivedBytes: sizeBytes, totalBytes: sizeBytes });
    const digest = await sha256Of(partial, signal);
    if (expected && digest !== expected) {
      throw new DownloadError(
        "checksum",
        `The downloaded file is damaged: its sha256 is ${digest.slice(0, 12)}…, Hugging Face publishes ${expected.slice(0, 12)}…. It was deleted; try again.`,
      );
    }
    const magic = Buffer.alloc(4);
    const handle = await fs.open(partial, "r");
    await handle.read(magic, 0, 4, 0).finally(() => handle.close());
    if (magic.toString("latin1") !== "GGUF") throw new DownloadError("not_gguf", "The downloaded file is not a GGUF model. It was deleted.");
    await fs.rename(partial, target);
    return { path: target, sizeBytes, sha256: digest, verified: expected !== null };
  } catch (error) {
    if (error instanceof DownloadError && error.reason === "network") throw error;
    await fs.rm(partial, { force: true });
    if (isAbort(error, signal)) throw new DownloadError("cancelled", "Download cancelled.");
    if ((error as NodeJS.ErrnoException).code === "ENOSPC") {
      throw new DownloadError("disk_full", `The disk is full: ${fileName}${totalBytes ? ` needs ${megabytes(totalBytes)}` : ""} in ${dir}. Free some space and try again.`);
    }
    if (error instanceof DownloadError) throw error;
    throw new DownloadError("network", `The download failed: ${(error as Error).message}.`);
  }
}
