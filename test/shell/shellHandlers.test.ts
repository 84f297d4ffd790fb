import type { BrowserWindow, IpcMainEvent } from "electron";
import { describe, expect, it, vi } from "vitest";
import {
  cancelModelDownloadChannel,
  downloadModelChannel,
  modelDownloadProgressChannel,
  pickModelFileChannel,
} from "../../electron/shell/channels";
import type { ModelDownloadOptions } from "../../electron/shell/modelDownload";
import { registerShellHandlers } from "../../electron/shell/shellHandlers";
import { FakeIpcMain, FakeSender, invokeEvent } from "./fakeIpc";

function setup(trusted = true) {
  const ipc = new FakeIpcMain();
  const sender = new FakeSender();
  const dialog = {
    showOpenDialog: vi.fn(async (..._args: unknown[]) => ({ canceled: false, filePaths: ["/models/picked.gguf"] })),
  };
  let release: (() => void) | undefined;
  const download = vi.fn(
    (options: ModelDownloadOptions) =>
      new Promise<string>((resolve, reject) => {
        options.onProgress({ doneBytes: 10, totalBytes: 100 });
        options.signal.addEventListener("abort", () => reject(new Error("aborted")));
        release = () => resolve("/cache/models/gemma.gguf");
      }),
  );
  registerShellHandlers(ipc.asIpcMain(), {
    dialog: dialog as unknown as Parameters<typeof registerShellHandlers>[1]["dialog"],
    window: () => ({}) as BrowserWindow,
    modelDir: "/cache/models",
    isTrustedSender: () => trusted,
    download,
  });
  const event = invokeEvent(sender);
  return { ipc, sender, dialog, download, event, release: () => release?.() };
}

describe("shell handlers", () => {
  it("pick a GGUF file with the system dialog", async () => {
    const { ipc, event, dialog } = setup();
    await expect(ipc.invoke(pickModelFileChannel, event)).resolves.toBe("/models/picked.gguf");
    expect(dialog.showOpenDialog.mock.calls[0]?.[1]).toMatchObject({ filters: [{ extensions: ["gguf"] }] });
  });

  it("refuse arguments and untrusted pages", async () => {
    const { ipc, event, dialog, download } = setup();
    await expect(ipc.invoke(pickModelFileChannel, event, "/etc/passwd")).resolves.toBeNull();
    await expect(ipc.invoke(downloadModelChannel, event, { uri: "https://evil.example/x.gguf" })).resolves.toMatchObject({
      ok: false,
      error: { code: "bad_request" },
    });
    const untrusted = setup(false);
    await expect(untrusted.ipc.invoke(pickModelFileChannel, untrusted.event)).resolves.toBeNull();
    expect(dialog.showOpenDialog).not.toHaveBeenCalled();
    expect(download).not.toHaveBeenCalled();
  });

  it("download the recommended model with progress, one at a time", async () => {
    const { ipc, event, sender, release } = setup();
    const first = ipc.invoke(downloadModelChannel, event);
    await vi.waitFor(() => expect(sender.sent).toContainEqual({ channel: modelDownloadProgressChannel, args: [{ doneBytes: 10, totalBytes: 100 }] }));
    await expect(ipc.invoke(downloadModelChannel, event)).resolves.toMatchObject({ ok: false, error: { code: "conflict" } });
    release();
    await expect(first).resolves.toEqual({ ok: true, value: "/cache/models/gemma.gguf" });
  });

  it("cancel a download", async () => {
    const { ipc, event } = setup();
    const pending = ipc.invoke(downloadModelChannel, event);
    await vi.waitFor(() => expect(ipc.listenerCount(cancelModelDownloadChannel)).toBe(1));
    ipc.emit(cancelModelDownloadChannel, event as unknown as IpcMainEvent);
    await expect(pending).resolves.toEqual({ ok: false, error: { code: "conflict", error: "Download cancelled." } });
  });
});
