import type { BrowserWindow, Dialog, IpcMain } from "electron";
import { toErrorBody, type SenderCheck } from "./ipc";
import {
  cancelModelDownloadChannel,
  downloadModelChannel,
  modelDownloadProgressChannel,
  pickModelFileChannel,
  type IpcResult,
} from "./channels";
import { downloadRecommendedModel } from "./modelDownload";

export interface ShellHandlerOptions {
  dialog: Pick<Dialog, "showOpenDialog">;
  window: () => BrowserWindow | null;
  modelDir: string;
  isTrustedSender: SenderCheck;
  download?: typeof downloadRecommendedModel;
}

/**
 * What only the desktop shell can do for the page: a native file picker that
 * yields a path, and a cancellable download of the recommended model. None of
 * these channels takes an argument from the page, so any argument is refused.
 */
export function registerShellHandlers(ipcMain: IpcMain, options: ShellHandlerOptions): () => void {
  const download = options.download ?? downloadRecommendedModel;
  let running: AbortController | null = null;

  ipcMain.handle(pickModelFileChannel, async (event, ...args: unknown[]) => {
    if (!options.isTrustedSender(event) || args.length !== 0) return null;
    const owner = options.window();
    const dialogOptions = {
      title: "Open a GGUF model",
      properties: ["openFile" as const],
      filters: [{ name: "GGUF models", extensions: ["gguf"] }],
    };
    const result = owner ? await options.dialog.showOpenDialog(owner, dialogOptions) : await options.dialog.showOpenDialog(dialogOptions);
    return result.canceled ? null : (result.filePaths[0] ?? null);
  });

  ipcMain.handle(downloadModelChannel, async (event, ...args: unknown[]): Promise<IpcResult<string>> => {
    if (!options.isTrustedSender(event) || args.length !== 0) {
      return { ok: false, error: { code: "bad_request", error: "This call takes no arguments" } };
    }
    if (running) return { ok: false, error: { code: "conflict", error: "A download is already running" } };
    const controller = new AbortController();
    running = controller;
    try {
      const file = await download({
        dir: options.modelDir,
        signal: controller.signal,
        onProgress: (progress) => {
          if (!event.sender.isDestroyed()) event.sender.send(modelDownloadProgressChannel, progress);
        },
      });
      return { ok: true, value: file };
    } catch (error) {
      if (controller.signal.aborted) return { ok: false, error: { code: "conflict", error: "Download cancelled." } };
      return { ok: false, error: toErrorBody(error) };
    } finally {
      running = null;
    }
  });

  const cancel = (event: Parameters<SenderCheck>[0]): void => {
    if (options.isTrustedSender(event)) running?.abort();
  };
  ipcMain.on(cancelModelDownloadChannel, cancel);

  return () => {
    ipcMain.removeHandler(pickModelFileChannel);
    ipcMain.removeHandler(downloadModelChannel);
    ipcMain.removeListener(cancelModelDownloadChannel, cancel);
    running?.abort();
  };
}
