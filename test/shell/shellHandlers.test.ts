import type { BrowserWindow } from "electron";
import { describe, expect, it, vi } from "vitest";
import { pickModelFileChannel } from "../../electron/shell/channels";
import { registerShellHandlers } from "../../electron/shell/shellHandlers";
import { FakeIpcMain, FakeSender, invokeEvent } from "./fakeIpc";

function setup(trusted = true) {
  const ipc = new FakeIpcMain();
  const sender = new FakeSender();
  const dialog = {
    showOpenDialog: vi.fn(async (..._args: unknown[]) => ({ canceled: false, filePaths: ["/models/picked.gguf"] })),
  };
  const unregister = registerShellHandlers(ipc.asIpcMain(), {
    dialog: dialog as unknown as Parameters<typeof registerShellHandlers>[1]["dialog"],
    window: () => ({}) as BrowserWindow,
    isTrustedSender: () => trusted,
  });
  return { ipc, dialog, event: invokeEvent(sender), unregister };
}

describe("shell handlers", () => {
  it("pick a GGUF file with the system dialog", async () => {
    const { ipc, event, dialog } = setup();
    await expect(ipc.invoke(pickModelFileChannel, event)).resolves.toBe("/models/picked.gguf");
    expect(dialog.showOpenDialog.mock.calls[0]?.[1]).toMatchObject({ filters: [{ extensions: ["gguf"] }] });
  });

  it("refuse arguments and untrusted pages", async () => {
    const { ipc, event, dialog } = setup();
    await expect(ipc.invoke(pickModelFileChannel, event, "/etc/passwd")).resolves.toBeNull();
    const untrusted = setup(false);
    await expect(untrusted.ipc.invoke(pickModelFileChannel, untrusted.event)).resolves.toBeNull();
    expect(dialog.showOpenDialog).not.toHaveBeenCalled();
  });
});
