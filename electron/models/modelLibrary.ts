import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { readGgufFileInfo, type GgufFileInfo, type Llama } from "node-llama-cpp";
import type {
  CatalogModelView,
  DownloadRequest,
  DownloadStatus,
  EmptyRequest,
  ModelCatalogView,
  StartDownloadRequest,
} from "../api/contract";
import { ApiError } from "../api/errors";
import { llama as sharedLlama } from "../engine/llama";
import { modelCatalog, type CatalogEntry } from "../engine/modelCatalog";
import { downloadFile, type FileDownloadOptions } from "./fileDownload";
import { machine, modelFit, modelKind, recommend } from "./catalogFit";
import { cacheFileName, ModelSourceError, parseModelSource, resolveUrl } from "./modelSource";

export interface ModelLibraryOptions {
  /** The model cache: where downloads go and where catalog files are looked for. */
  dir: string;
  /** Tokens of context the fit is estimated for: the app's context size. */
  contextSize: number;
  catalog?: readonly CatalogEntry[];
  llama?: () => Promise<Llama>;
  /** How a download reaches the network; tests point it at a server on 127.0.0.1. */
  fetch?: typeof fetch;
}

interface Running {
  status: DownloadStatus;
  controller: AbortController;
}

interface HeaderRead {
  sizeBytes: number;
  mtimeMs: number;
  info: Promise<GgufFileInfo>;
}

/**
 * The models a user can get: the catalog with each model's size and fit on this machine (from the
 * GGUF's own metadata, for every file in the model cache), and the downloads into that cache. The
 * operations behind `modelCatalog`, `startDownload`, `listDownloads` and `cancelDownload`.
 */
export class ModelLibrary {
  private readonly downloads = new Map<string, Running>();
  private readonly headers = new Map<string, HeaderRead>();
  private readonly catalog: readonly CatalogEntry[];
  private readonly llama: () => Promise<Llama>;

  constructor(private readonly options: ModelLibraryOptions) {
    this.catalog = options.catalog ?? modelCatalog;
    this.llama = options.llama ?? sharedLlama;
  }

  async modelCatalog(_request: EmptyRequest = {}): Promise<ModelCatalogView> {
    const llama = await this.llama();
    const models = await Promise.all(this.catalog.map((entry) => this.view(entry, llama)));
    const recommended = recommend(models);
    return {
      machine: await machine(llama),
      models: models.map((model) => ({ ...model, recommended: model.id === recommended })),
    };
  }

  async startDownload({ source }: StartDownloadRequest): Promise<DownloadStatus> {
    const entry = this.catalog.find((e) => e.id === source || e.huggingFaceUri === source);
    let file;
    try {
      file = parseModelSource(entry?.huggingFaceUri ?? source);
    } catch (error) {
      if (error instanceof ModelSourceError) throw new ApiError("bad_request", error.message);
      throw error;
    }
    const fileName = entry?.fileName ?? cacheFileName(file);
    const url = resolveUrl(file);
    const busy = [...this.downloads.values()].find((d) => d.status.fileName === fileName && this.isActive(d.status));
    if (busy) throw new ApiError("conflict", `${fileName} is already downloading.`);

    const status: DownloadStatus = { id: randomUUID(), fileName, url, state: "downloading", receivedBytes: 0, totalBytes: null, path: null, error: null };
    const running: Running = { status, controller: new AbortController() };
    this.downloads.set(status.id, running);
    const options: FileDownloadOptions = {
      url,
      dir: this.options.dir,
      fileName,
      expectedSha256: entry?.sha256 ?? null,
      signal: running.controller.signal,
      fetch: this.options.fetch,
      onProgress: (progress) => {
        status.state = progress.phase;
        status.receivedBytes = progress.receivedBytes;
        status.totalBytes = progress.totalBytes;
      },
    };
    downloadFile(options).then(
      (done) => {
        status.state = "done";
        status.path = done.path;
      },
      (error: Error) => {
        status.state = running.controller.signal.aborted ? "cancelled" : "failed";
        status.error = status.state === "failed" ? error.message : null;
      },
    );
    return { ...status };
  }

  async listDownloads(_request: EmptyRequest = {}): Promise<{ downloads: DownloadStatus[] }> {
    return { downloads: [...this.downloads.values()].reverse().map((d) => ({ ...d.status })) };
  }

  /** Resolves once the download has stopped and its partial file is gone. */
  async cancelDownload({ downloadId }: DownloadRequest): Promise<DownloadStatus> {
    const running = this.downloads.get(downloadId);
    if (!running) throw new ApiError("not_found", "There is no such download.");
    if (this.isActive(running.status)) {
      running.controller.abort();
      while (this.isActive(running.status)) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return { ...running.status };
  }

  /** Stops every download (at shutdown); their partial files are removed. */
  async close(): Promise<void> {
    await Promise.all([...this.downloads.keys()].map((downloadId) => this.cancelDownload({ downloadId })));
  }

  private isActive(status: DownloadStatus): boolean {
    return status.state === "downloading" || status.state === "verifying";
  }

  private async view(entry: CatalogEntry, llama: Llama): Promise<Omit<CatalogModelView, "recommended">> {
    const localPath = path.join(this.options.dir, entry.fileName);
    const base = {
      id: entry.id,
      name: entry.name,
      description: entry.description,
      kind: entry.kind,
      source: entry.huggingFaceUri,
      fileName: entry.fileName,
      downloadBytes: entry.downloadBytes,
      downloadBytesExact: entry.sha256 !== null,
    };
    const header = await this.header(localPath);
    if (!header) {
      return {
        ...base,
        localPath: null,
        fit: null,
        fitUnknownReason: "Not downloaded yet: the memory it needs is read from the file itself.",
      };
    }
    try {
      const read = await header.info;
      return { ...base, kind: modelKind(read), localPath, fit: await modelFit(read, llama, this.options.contextSize), fitUnknownReason: null };
    } catch (error) {
      return { ...base, localPath, fit: null, fitUnknownReason: `The file could not be read as a GGUF model: ${(error as Error).message}` };
    }
  }

  /** The file's GGUF header, read once per size and modification time; null when the file is not there. */
  private async header(file: string): Promise<HeaderRead | null> {
    const stat = await fs.stat(file).catch(() => null);
    if (!stat?.isFile()) return null;
    const known = this.headers.get(file);
    if (known && known.sizeBytes === stat.size && known.mtimeMs === stat.mtimeMs) return known;
    const read = { sizeBytes: stat.size, mtimeMs: stat.mtimeMs, info: readGgufFileInfo(file, { logWarnings: false }) };
    read.info.catch(() => {});
    this.headers.set(file, read);
    return read;
  }
}
