import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Transform } from "node:stream";

/**
 * A stand-in for Hugging Face on 127.0.0.1 that serves one real model file the way its resolve URLs
 * do: under `origin(mode)`, any `…/owner/repo/resolve/main/<name>` answers 302 with the file's sha256
 * in `x-linked-etag`, and the file itself honours Range requests. The mode names what goes wrong:
 * - `ok`: nothing;
 * - `drop`: the first response stops halfway and the connection is cut;
 * - `corrupt`: one byte in the middle is flipped;
 * - `slow`: 256 KB every 10 ms, so a test can cancel mid-way;
 * - anything else: 404.
 */
export interface ModelServer {
  /** Where the server stands in for Hugging Face's origin, in the given mode. */
  origin(mode: string): string;
  /** A resolve URL under `origin(mode)`. */
  url(mode: string): string;
  /** The Range header of every file request, in order ("" for none). */
  ranges: string[];
  close(): Promise<void>;
}

export async function startModelServer(file: string, sha256: string): Promise<ModelServer> {
  const { size } = await fs.stat(file);
  const ranges: string[] = [];
  let dropped = false;

  const server = http.createServer((request, response) => {
    const [, mode = "", ...rest] = (request.url ?? "").split("/");
    if (!["ok", "drop", "corrupt", "slow"].includes(mode) || !(rest.includes("resolve") || rest[0] === "file")) {
      response.writeHead(404, { "content-type": "text/plain" }).end("Entry not found");
      return;
    }
    if (rest.includes("resolve")) {
      response.writeHead(302, { location: `/${mode}/file`, "x-linked-etag": `"${sha256}"`, "x-linked-size": String(size) }).end();
      return;
    }
    const range = request.headers.range ?? "";
    ranges.push(range);
    const [, first, last] = /^bytes=(\d+)-(\d*)$/.exec(range) ?? [];
    const start = Number(first ?? 0);
    const end = last ? Math.min(Number(last), size - 1) : size - 1;
    response.writeHead(range ? 206 : 200, {
      "content-length": String(end + 1 - start),
      "accept-ranges": "bytes",
      ...(range ? { "content-range": `bytes ${start}-${end}/${size}` } : {}),
    });
    if (mode === "drop" && !dropped) {
      dropped = true;
      const half = Math.floor(size / 2);
      createReadStream(file, { start, end: half - 1 })
        .on("end", () => setImmediate(() => request.socket.destroy()))
        .pipe(response, { end: false });
      return;
    }
    const body = createReadStream(file, { start, end, highWaterMark: 256 * 1024 });
    if (mode === "corrupt") {
      let position = start;
      const middle = Math.floor(size / 2);
      const flip = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          if (middle >= position && middle < position + chunk.length) chunk[middle - position] = 0xff - (chunk[middle - position] ?? 0);
          position += chunk.length;
          done(null, chunk);
        },
      });
      body.pipe(flip).pipe(response);
      return;
    }
    if (mode === "slow") {
      body.on("data", () => {
        body.pause();
        setTimeout(() => body.resume(), 10);
      });
    }
    body.pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: (mode) => `http://127.0.0.1:${port}/${mode}`,
    url: (mode) => `http://127.0.0.1:${port}/${mode}/owner/repo/resolve/main/model.gguf`,
    ranges,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
