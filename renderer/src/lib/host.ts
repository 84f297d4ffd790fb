import { ApiError, type RepriseApi } from "../../../electron/api/contract";
import { createHttpClient, takeTokenFromPage } from "../../../electron/api/httpClient";
import type { MenuCommand, ModelDownloadProgress, RepriseBridge } from "../../../electron/shell/channels";
import { createIpcClient } from "./ipcClient";

/**
 * Where the UI runs. The API is the same either way; the desktop app adds what
 * only a native shell can do (a file picker that yields a path, a cancellable
 * model download, the app menu).
 */
export interface Host {
  kind: "desktop" | "browser";
  api: RepriseApi;
  /** null in a browser: a page cannot learn a file's path on the server's disk. */
  pickModelFile: (() => Promise<string | null>) | null;
  /** null in a browser: downloading is the desktop shell's, the API has no download operation. */
  downloadModel: ((onProgress: (progress: ModelDownloadProgress) => void) => Promise<string>) | null;
  cancelModelDownload: () => void;
  onMenuCommand: (listener: (command: MenuCommand) => void) => () => void;
}

declare global {
  interface Window {
    reprise?: RepriseBridge;
  }
}

export function connectHost(page: Window): Host {
  const bridge = page.reprise;
  if (bridge) {
    return {
      kind: "desktop",
      api: createIpcClient(bridge),
      pickModelFile: () => bridge.pickModelFile(),
      downloadModel: async (onProgress) => {
        const result = await bridge.downloadModel(onProgress);
        if (result.ok) return result.value;
        throw new ApiError(result.error.code, result.error.error);
      },
      cancelModelDownload: () => bridge.cancelModelDownload(),
      onMenuCommand: (listener) => bridge.onMenuCommand(listener),
    };
  }
  const token = takeTokenFromPage(page);
  return {
    kind: "browser",
    api: createHttpClient({ token: () => token }),
    pickModelFile: null,
    downloadModel: null,
    cancelModelDownload: () => {},
    onMenuCommand: () => () => {},
  };
}
