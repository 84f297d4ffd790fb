import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { readGgufFileInfo, type GgufFileInfo, type Llama } from "node-llama-cpp";
import type {
  CatalogModelView,
  CheckModelFitRequest,
  DownloadRequest,
  DownloadStatus,
  EmptyRequest,
  ModelCatalogView,
  ModelFitCheck,
  StartDownloadRequest,
} from "../api/contract";
import { ApiError } from "../api/errors";
import { llama as sharedLlama } from "../engine/llama";
import { modelCatalog, type CatalogEntry } from "../engine/modelCatalog";
import { downloadFile } from "./fileDownload";
import { machine, modelFit, modelKind, recommend } from "./catalogFit";
import { cacheFileName, huggingFaceOrigin, ModelSourceError, parseModelSource, resolveUrl } from "./modelSource";

export interface ModelLibraryOptions {
  /** The model cache: where downloads go and where catalog files are looked for. */
  dir: string;
  /** Tokens of context the fit is estimated for: the app's context size. */
  contextSize: number;
  catalog?: readonly CatalogEntry[];
  /** Where Hugging Face's files are served; tests point it at a server on 127.0.0.1. */
  origin?: string;
}

/** A model file named by a catalog id, an `hf:` URI or a pasted URL. */
interface Target {
  entry: CatalogEntry | null;
  fileName: string;
  url: string;
}

/** How long reading a remote GGUF header may take before the user is told it failed. */
const remoteHeaderTimeoutMs = 30_000;

interface Running {
  status: DownloadStatus;
  controller: AbortController;
  /** Settles once the download has stopped, whatever the outcome. */
  finished: Promise<void>;
}

interface HeaderRead {
  sizeBytes: number;
  mtimeMs: number;
  info: Promise<GgufFileInfo>;
}

/**
 * The models a user can get: the catalog with each model's size and fit on this machine (from the
 * GGUF's own metadata, for every file in the model cache), and the downloads into that cache. The
 * operations behind `modelCatalog`, `checkModelFit`, `startDownload`, `listDownloads` and
 * `cancelDownload`.
 */
export class ModelLibrary {
  private readonly downloads = new Map<string, Running>();
  /** Files a download is being started for, until it is registered in `downloads` or refused. */
  private readonly starting = new Set<string>();
  private readonly headers = new Map<string, HeaderRead>();
  /** Headers read from Hugging Face on the user's request, by URL: the catalog shows their fit from then on. */
  private readonly remoteHeaders = new Map<string, GgufFileInfo>();
  private readonly catalog: readonly CatalogEntry[];

  constructor(private readonly options: ModelLibraryOptions) {
    this.catalog = options.catalog ?? modelCatalog;
  }

  async modelCatalog(_request: EmptyRequest = {}): Promise<ModelCatalogView> {
    const llama = await sharedLlama();
    const models = [...(await Promise.all(this.catalog.map((entry) => this.view(entry, llama)))), ...(await this.cachedOthers(llama))];
    const recommended = recommend(models);
    return {
      machine: await machine(llama),
      models: models.map((model) => ({ ...model, recommended: model.id === recommended })),
    };
  }

  /**
   * Reads the GGUF header of a model not downloaded yet from Hugging Face (a few megabytes, only
   * when the user asks) and says how it would fit; the catalog shows that fit from then on.
   */
  async checkModelFit({ source }: CheckModelFitRequest): Promise<ModelFitCheck> {
    const { fileName, url } = this.target(source);
    let info = this.remoteHeaders.get(url);
    if (!info) {
      try {
        info = await readGgufFileInfo(url, { logWarnings: false, signal: AbortSignal.timeout(remoteHeaderTimeoutMs), fetchRetryOptions: { retries: 1 } });
      } catch (error) {
        throw new ApiError("upstream_failed", `Could not read ${fileName} from Hugging Face (${(error as Error).message}). Reading a model's header needs the internet.`);
      }
      this.remoteHeaders.set(url, info);
    }
    return { fileName, kind: modelKind(info), fit: await modelFit(info, await sharedLlama(), this.options.contextSize) };
  }

  async startDownload({ source }: StartDownloadRequest): Promise<DownloadStatus> {
    const { entry, fileName, url } = this.target(source);
    // Checked and reserved with no await between, so two requests for one file cannot both start, however
    // long the check of the cache below takes.
    const busy = [...this.downloads.values()].some((d) => d.status.fileName === fileName && this.isActive(d.status));
    if (busy || this.starting.has(fileName)) throw new ApiError("conflict", `${fileName} is already downloading.`);
    this.starting.add(fileName);
    try {
      return await this.start(entry, fileName, url);
    } finally {
      this.starting.delete(fileName);
    }
  }

  private async start(entry: CatalogEntry | null, fileName: string, url: string): Promise<DownloadStatus> {
    // Never written over: it may be the model in use, and a user who wants it again can delete it first.
    const existing = path.join(this.options.dir, fileName);
    if (await fs.stat(existing).then((s) => s.isFile(), () => false)) {
      throw new ApiError("conflict", `${fileName} is already in the model cache (${existing}): choose Use to load it.`);
    }

    const status: DownloadStatus = { id: randomUUID(), fileName, url, state: "downloading", receivedBytes: 0, totalBytes: null, path: null, error: null };
    const controller = new AbortController();
    const finished = downloadFile({
      url,
      dir: this.options.dir,
      fileName,
      expectedSha256: entry?.sha256 ?? null,
      signal: controller.signal,
      onProgress: (progress) => {
        status.state = progress.phase;
        status.receivedBytes = progress.receivedBytes;
        status.totalBytes = progress.totalBytes;
      },
    }).then(
      (done) => {
        status.state = "done";
        status.path = done.path;
      },
      (error: Error) => {
        status.state = controller.signal.aborted ? "cancelled" : "failed";
        status.error = status.state === "failed" ? error.message : null;
      },
    );
    this.downloads.set(status.id, { status, controller, finished });
    return { ...status };
  }

  async listDownloads(_request: EmptyRequest = {}): Promise<{ downloads: DownloadStatus[] }> {
    return { downloads: [...this.downloads.values()].reverse().map((d) => ({ ...d.status })) };
  }

  /** Resolves once the download has stopped and its partial file is gone. */
  async cancelDownload({ downloadId }: DownloadRequest): Promise<DownloadStatus> {
    const running = this.downloads.get(downloadId);
    if (!running) throw new ApiError("not_found", "There is no such download.");
    running.controller.abort();
    await running.finished;
    return { ...running.status };
  }

  /** Stops every download (at shutdown); their partial files are removed. */
  async close(): Promise<void> {
    await Promise.all([...this.downloads.keys()].map((downloadId) => this.cancelDownload({ downloadId })));
  }

  private target(source: string): Target {
    const entry = this.catalog.find((e) => e.id === source || e.huggingFaceUri === source) ?? null;
    try {
      const file = parseModelSource(entry?.huggingFaceUri ?? source);
      return { entry, fileName: entry?.fileName ?? cacheFileName(file), url: resolveUrl(file, this.options.origin ?? huggingFaceOrigin) };
    } catch (error) {
      if (error instanceof ModelSourceError) throw new ApiError("bad_request", error.message);
      throw error;
    }
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
    const remote = this.remoteHeaders.get(this.target(entry.id).url);
    if (!header && remote) {
      return { ...base, kind: modelKind(remote), localPath: null, fit: await modelFit(remote, llama, this.options.contextSize), fitUnknownReason: null };
    }
    if (!header) {
      return {
        ...base,
        localPath: null,
        fit: null,
        fitUnknownReason: "Memory need not known until it is downloaded (or Check fit reads it online).",
      };
    }
    try {
      const read = await header.info;
      return { ...base, kind: modelKind(read), localPath, fit: await modelFit(read, llama, this.options.contextSize), fitUnknownReason: null };
    } catch (error) {
      return { ...base, localPath, fit: null, fitUnknownReason: `The file could not be read as a GGUF model: ${(error as Error).message}` };
    }
  }

  /**
   * GGUF files in the model cache that the catalog does not name (downloaded from a pasted address,
   * or put there by hand), scored like the rest; files that cannot be read as GGUF are left out.
   */
  private async cachedOthers(llama: Llama): Promise<Omit<CatalogModelView, "recommended">[]> {
    const named = new Set(this.catalog.map((e) => e.fileName));
    const names = (await fs.readdir(this.options.dir).catch(() => [] as string[])).filter((n) => /\.gguf$/i.test(n) && !named.has(n)).sort();
    const views = await Promise.all(
      names.map(async (fileName) => {
        const localPath = path.join(this.options.dir, fileName);
        const header = await this.header(localPath);
        const info = await header?.info.catch(() => null);
        if (!header || !info) return null;
        return {
          id: `cache:${fileName}`,
          name: fileName,
          description: "In the model cache on this computer.",
          kind: modelKind(info),
          source: null,
          fileName,
          downloadBytes: header.sizeBytes,
          downloadBytesExact: true,
          localPath,
          fit: await modelFit(info, llama, this.options.contextSize),
          fitUnknownReason: null,
        };
      }),
    );
    return views.filter((v) => v !== null);
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
