import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { defaultModel } from "../../electron/engine/modelCatalog";
import { downloadFile, DownloadError, type DownloadProgress, type FileDownloadOptions } from "../../electron/models/fileDownload";
import { testModelPath } from "../helpers/model";
import { startModelServer, type ModelServer } from "./modelServer";

let server: ModelServer;
let root: string;
let dir: string;
let runs = 0;

beforeAll(async () => {
  server = await startModelServer(await testModelPath(defaultModel), defaultModel.sha256);
  root = await fs.mkdtemp(path.join(os.tmpdir(), "reprise-download-"));
});
afterAll(async () => {
  await server.close();
  await fs.rm(root, { recursive: true, force: true });
});
beforeEach(async () => {
  dir = path.join(root, `run${++runs}`);
  server.ranges.length = 0;
});

function download(mode: string, options: Partial<FileDownloadOptions> = {}) {
  const progress: DownloadProgress[] = [];
  const result = downloadFile({
    url: server.url(mode),
    dir,
    fileName: "model.gguf",
    expectedSha256: null,
    signal: new AbortController().signal,
    onProgress: (p) => progress.push(p),
    ...options,
  });
  return { result, progress };
}

async function filesLeft(): Promise<string[]> {
  return (await fs.readdir(dir).catch(() => [])).sort();
}

async function failure(promise: Promise<unknown>): Promise<DownloadError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DownloadError);
  return error as DownloadError;
}

describe("downloading a model file", () => {
  it("follows the resolve redirect, checks the sha256 it publishes and reports progress up to the file's size", async () => {
    const { result, progress } = download("ok");
    const file = await result;
    expect(file).toEqual({ path: path.join(dir, "model.gguf"), sizeBytes: defaultModel.sizeBytes, sha256: defaultModel.sha256, verified: true });
    expect(await filesLeft()).toEqual(["model.gguf"]);
    const downloading = progress.filter((p) => p.phase === "downloading");
    expect(downloading.length).toBeGreaterThan(2);
    expect(downloading.at(-1)).toEqual({ phase: "downloading", receivedBytes: defaultModel.sizeBytes, totalBytes: defaultModel.sizeBytes });
    expect(downloading.map((p) => p.receivedBytes)).toEqual([...downloading.map((p) => p.receivedBytes)].sort((a, b) => a - b));
    expect(progress.at(-1)?.phase).toBe("verifying");
  });

  it("resumes with a Range request where a dropped connection stopped, and the result is the whole file", async () => {
    const file = await download("drop").result;
    expect(file.sha256).toBe(defaultModel.sha256);
    // The second request asks for the rest from what had arrived when the connection broke (at most half).
    expect(server.ranges).toHaveLength(2);
    expect(server.ranges[0]).toBe("");
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(server.ranges[1] ?? "")?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(Math.floor(defaultModel.sizeBytes / 2));
    expect(await filesLeft()).toEqual(["model.gguf"]);
  });

  it("a 404 says the file is not there and leaves nothing behind", async () => {
    const error = await failure(download("missing").result);
    expect(error.reason).toBe("not_found");
    expect(error.message).toMatch(/no file at .*404/);
    expect(await filesLeft()).toEqual([]);
  });

  it("a corrupted file fails the published sha256 and is deleted", async () => {
    const error = await failure(download("corrupt").result);
    expect(error.reason).toBe("checksum");
    expect(error.message).toContain(defaultModel.sha256.slice(0, 12));
    expect(await filesLeft()).toEqual([]);
  });

  it("a sha256 given beforehand is the one checked", async () => {
    const error = await failure(download("ok", { expectedSha256: "0".repeat(64) }).result);
    expect(error.reason).toBe("checksum");
    expect(await filesLeft()).toEqual([]);
  });

  it("cancelling mid-way stops the download and removes the partial file", async () => {
    const controller = new AbortController();
    const { result, progress } = download("slow", {
      signal: controller.signal,
      onProgress: (p) => {
        progress.push(p);
        if (p.receivedBytes > 4_000_000) controller.abort();
      },
    });
    const error = await failure(result);
    expect(error.reason).toBe("cancelled");
    expect(progress.at(-1)?.receivedBytes).toBeLessThan(defaultModel.sizeBytes);
    expect(await filesLeft()).toEqual([]);
  });

  it("a full disk (ENOSPC) says so and frees what was written", async () => {
    let written = 0;
    const error = await failure(
      download("ok", {
        write: async (file, chunk) => {
          if (written > 10_000_000) throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
          written += chunk.byteLength;
          return file.write(chunk);
        },
      }).result,
    );
    expect(error.reason).toBe("disk_full");
    expect(error.message).toMatch(/disk is full.*98 MB/);
    expect(await filesLeft()).toEqual([]);
  });

  it("an unreachable server says it could not be reached and leaves nothing", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(download("ok", { url: `http://127.0.0.1:${port}/owner/repo/resolve/main/model.gguf`, resumeAttempts: 1 }).result);
    expect(error.reason).toBe("network");
    expect(error.message).toMatch(new RegExp(`Could not reach 127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED.*\\)`));
    expect(await filesLeft()).toEqual([]);
  });

  it("a body that is not a GGUF is refused even when no checksum is published", async () => {
    const page = path.join(root, "page.html");
    await fs.writeFile(page, "<html>Sign in to continue</html>");
    const html = await startModelServer(page, "not-a-sha");
    try {
      const error = await failure(download("ok", { url: html.url("ok") }).result);
      expect(error.reason).toBe("not_gguf");
      expect(await filesLeft()).toEqual([]);
    } finally {
      await html.close();
    }
  });
});
