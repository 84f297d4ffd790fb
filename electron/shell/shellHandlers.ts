import type { BrowserWindow, Dialog, IpcMain } from "electron";
import type { SenderCheck } from "./ipc";
import { pickModelFileChannel } from "./channels";

export interface ShellHandlerOptions {
  dialog: Pick<Dialog, "showOpenDialog">;
  window: () => BrowserWindow | null;
  isTrustedSender: SenderCheck;
}

/**
 * What only the desktop shell can do for the page: a native file picker that yields a path. (Model
 * downloads are contract operations, the same in the desktop app and in a browser.) The channel
 * takes no argument from the page, so any argument is refused.
 */
export function registerShellHandlers(ipcMain: IpcMain, options: ShellHandlerOptions): () => void {
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

  return () => {
    ipcMain.removeHandler(pickModelFileChannel);
  };
}
