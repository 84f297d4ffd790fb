import { EventEmitter } from "node:events";
import type { IpcMain, IpcMainInvokeEvent } from "electron";

type Handler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;

/** ipcMain without Electron: handlers are kept so a test can invoke them as a page would. */
export class FakeIpcMain extends EventEmitter {
  readonly handlers = new Map<string, Handler>();

  handle(channel: string, handler: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, handler);
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }

  invoke(channel: string, event: IpcMainInvokeEvent, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`no handler for ${channel}`);
    return Promise.resolve(handler(event, ...args));
  }

  asIpcMain(): IpcMain {
    return this as unknown as IpcMain;
  }
}

/** A page's webContents as main sees it: what it was sent, and a way to destroy it. */
export class FakeSender extends EventEmitter {
  static count = 0;
  readonly id = ++FakeSender.count;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  destroyed = false;
  readonly mainFrame = { url: "file:///app/out/renderer/index.html" };

  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  destroy(): void {
    this.destroyed = true;
    this.emit("destroyed");
  }
}

export function invokeEvent(sender: FakeSender, frameUrl = sender.mainFrame.url): IpcMainInvokeEvent {
  const senderFrame = frameUrl === sender.mainFrame.url ? sender.mainFrame : { url: frameUrl };
  return { sender, senderFrame } as unknown as IpcMainInvokeEvent;
}
