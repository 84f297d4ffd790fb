import type { RepriseApi } from "../../../electron/api/contract";
import { createHttpClient, takeTokenFromPage } from "../../../electron/api/httpClient";
import type { MenuCommand, RepriseBridge } from "../../../electron/shell/channels";
import { createIpcClient } from "./ipcClient";

/**
 * Where the UI runs. The API is the same either way (model downloads included);
 * the desktop app adds what only a native shell can do (a file picker that
 * yields a path, the app menu).
 */
export interface Host {
  kind: "desktop" | "browser";
  api: RepriseApi;
  /** null in a browser: a page cannot learn a file's path on the server's disk. */
  pickModelFile: (() => Promise<string | null>) | null;
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
      onMenuCommand: (listener) => bridge.onMenuCommand(listener),
    };
  }
  const token = takeTokenFromPage(page);
  return {
    kind: "browser",
    api: createHttpClient({ token: () => token }),
    pickModelFile: null,
    onMenuCommand: () => () => {},
  };
}
