import type { DownloadStatus, ModelCatalogView, ModelFitCheck, RepriseApi } from "../../../../electron/api/contract";
import { ModelSourceError, parseModelSource } from "../../../../electron/models/modelSource";

const pollMs = 500;

function active(download: DownloadStatus): boolean {
  return download.state === "downloading" || download.state === "verifying";
}

/**
 * The model catalog and the downloads, as the server has them: a download runs in the main process
 * (desktop) or the server (browser), and the page polls its progress while one runs. A download this
 * page started is loaded as the model once it is verified.
 */
export class ModelLibraryState {
  catalog = $state<ModelCatalogView | null>(null);
  downloads = $state<DownloadStatus[]>([]);
  error = $state<string | null>(null);
  /** Sources whose header is being read from Hugging Face. */
  checking = $state<string[]>([]);
  private readonly mine = new Set<string>();
  private poll: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly api: RepriseApi,
    private readonly onDownloaded: (path: string) => Promise<void>,
  ) {}

  async load(): Promise<void> {
    try {
      const [catalog, { downloads }] = await Promise.all([this.api.modelCatalog({}), this.api.listDownloads({})]);
      this.catalog = catalog;
      this.downloads = downloads;
      this.error = null;
      this.watch();
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  /** The latest download of a file, if any. */
  downloadOf(fileName: string): DownloadStatus | null {
    return this.downloads.find((d) => d.fileName === fileName) ?? null;
  }

  /** Downloads of files that are not in the catalog (pasted addresses). */
  get otherDownloads(): DownloadStatus[] {
    const names = new Set(this.catalog?.models.map((m) => m.fileName) ?? []);
    return this.downloads.filter((d) => !names.has(d.fileName));
  }

  /** The same check the server makes, so a typo is shown before anything is sent; null when it passes. */
  check(source: string): string | null {
    try {
      parseModelSource(source);
      return null;
    } catch (error) {
      if (error instanceof ModelSourceError) return error.message;
      throw error;
    }
  }

  /** Reads the model's header online and refreshes the catalog, which then shows its fit; null on failure (see `error`). */
  async checkFit(source: string): Promise<ModelFitCheck | null> {
    this.error = null;
    this.checking = [...this.checking, source];
    try {
      const result = await this.api.checkModelFit({ source });
      this.catalog = await this.api.modelCatalog({});
      return result;
    } catch (error) {
      this.error = (error as Error).message;
      return null;
    } finally {
      this.checking = this.checking.filter((s) => s !== source);
    }
  }

  async download(source: string): Promise<void> {
    this.error = null;
    try {
      const started = await this.api.startDownload({ source });
      this.mine.add(started.id);
      this.downloads = [started, ...this.downloads];
      this.watch();
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  async cancel(downloadId: string): Promise<void> {
    try {
      const status = await this.api.cancelDownload({ downloadId });
      this.downloads = this.downloads.map((d) => (d.id === downloadId ? status : d));
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.poll);
  }

  private watch(): void {
    clearTimeout(this.poll);
    if (this.closed || !this.downloads.some(active)) return;
    this.poll = setTimeout(() => void this.refreshDownloads(), pollMs);
  }

  private async refreshDownloads(): Promise<void> {
    try {
      const { downloads } = await this.api.listDownloads({});
      const finished = downloads.filter((d) => d.state === "done" && d.path && this.mine.delete(d.id));
      this.downloads = downloads;
      if (finished.length > 0) {
        this.catalog = await this.api.modelCatalog({});
        const path = finished[0]?.path;
        if (path) await this.onDownloaded(path);
      }
    } catch (error) {
      this.error = (error as Error).message;
    }
    this.watch();
  }
}
