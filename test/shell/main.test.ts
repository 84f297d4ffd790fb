import { EventEmitter } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { IpcMainInvokeEvent } from "electron";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { operationNames } from "../../electron/api/contract";
import {
  apiChannelPrefix,
  menuCommandChannel,
  pickModelFileChannel,
} from "../../electron/shell/channels";
import { contentSecurityPolicy } from "../../electron/shell/csp";
import type { DesktopService } from "../../electron/shell/desktopService";
import type * as ElectronMock from "./electronMock";

vi.mock("electron", () => import("./electronMock"));

// main.ts is tested as the shell it is; the chat service behind it has its own tests.
const service = vi.hoisted(() => ({
  api: {} as DesktopService["api"],
  startupModel: "/models/m.gguf" as string | null,
  keptAsidePath: null,
  load: vi.fn(async () => {}),
  close: vi.fn(async () => {}),
}));
vi.mock("../../electron/shell/desktopService", () => ({ openDesktopService: vi.fn(() => service) }));

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-shell-"));
let electron: typeof ElectronMock;

async function loadMain(lock: boolean): Promise<typeof ElectronMock> {
  vi.resetModules();
  const mock = (await import("electron")) as unknown as typeof ElectronMock;
  mock.app.lock = lock;
  mock.BrowserWindow.created = [];
  await import("../../electron/main");
  // start() awaits whenReady; let it run to the end.
  await vi.waitFor(() => expect(lock ? mock.BrowserWindow.created.length : 0).toBe(lock ? 1 : 0));
  return mock;
}

beforeAll(async () => {
  process.env.REPRISE_DATA_DIR = dataDir;
  electron = await loadMain(true);
});

afterAll(() => {
  delete process.env.REPRISE_DATA_DIR;
});

function window() {
  return electron.BrowserWindow.created[0]!;
}

describe("main process", () => {
  it("opens one secure window on the app's page", () => {
    const { options } = window();
    expect(options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
    });
    expect(String((options.webPreferences as { preload: string }).preload)).toMatch(/preload[/\\]preload\.cjs$/);
    expect(options).toMatchObject({ width: 1100, height: 760, show: false });
    expect(window().loadURL.mock.calls[0]?.[0]).toMatch(/^file:\/\/.*\/renderer\/index\.html$/);
  });

  it("shows the window once it has painted, and starts loading the remembered model", () => {
    expect(window().show).not.toHaveBeenCalled();
    window().emit("ready-to-show");
    expect(window().show).toHaveBeenCalled();
    expect(service.load).toHaveBeenCalledWith("/models/m.gguf");
  });

  it("keeps its data where the headless server keeps it", () => {
    expect(electron.app.setPath).toHaveBeenCalledWith("userData", dataDir);
  });

  it("registers a handler for every contract operation and the shell's own channels", () => {
    const channels = [...electron.ipcMain.handlers.keys()];
    for (const name of operationNames) expect(channels).toContain(apiChannelPrefix + name);
    expect(channels).toContain(pickModelFileChannel);
  });

  it("answers only the app's own page in the main frame", async () => {
    const sender = window().webContents;
    const fromFrame = (url: string, main = true) =>
      ({ sender, senderFrame: main ? Object.assign(sender.mainFrame, { url }) : { url } }) as unknown as IpcMainInvokeEvent;
    const appUrl = String(window().loadURL.mock.calls[0]?.[0]);
    const call = (event: IpcMainInvokeEvent) => electron.ipcMain.invoke(`${apiChannelPrefix}getConversation`, event, {});
    await expect(call(fromFrame("https://evil.example/"))).resolves.toMatchObject({ ok: false, error: { code: "forbidden" } });
    await expect(call(fromFrame(appUrl, false))).resolves.toMatchObject({ ok: false, error: { code: "forbidden" } });
    // From the app itself the request gets as far as validation (an empty request lacks its id).
    await expect(call(fromFrame(appUrl))).resolves.toMatchObject({ ok: false, error: { code: "bad_request" } });
  });

  it("denies permissions and sends the CSP header", () => {
    const handlers = electron.session.handlers as Record<string, (...args: unknown[]) => unknown>;
    const callback = vi.fn();
    handlers.request!({}, "media", callback);
    expect(callback).toHaveBeenCalledWith(false);
    let headers: Record<string, string[]> = {};
    handlers.headers!({ responseHeaders: {} }, (r: { responseHeaders: Record<string, string[]> }) => (headers = r.responseHeaders));
    expect(headers["Content-Security-Policy"]).toEqual([contentSecurityPolicy]);
  });

  it("hardens every web contents created later", () => {
    const contents = Object.assign(new EventEmitter(), {
      setWindowOpenHandler: vi.fn(),
    });
    electron.app.emit("web-contents-created", {}, contents);
    const event = { url: "https://example.com/", preventDefault: vi.fn() };
    contents.emit("will-navigate", event);
    expect(event.preventDefault).toHaveBeenCalled();
    expect(electron.shell.openExternal).toHaveBeenCalledWith("https://example.com/");
    expect(contents.setWindowOpenHandler).toHaveBeenCalled();
  });

  it("installs the app menu, whose commands reach the page", () => {
    const template = electron.Menu.setApplicationMenu.mock.calls[0]?.[0] as { submenu?: { accelerator?: string; click?: () => void }[] }[];
    const item = template.flatMap((menu) => menu.submenu ?? []).find((i) => i.accelerator === "CmdOrCtrl+N")!;
    item.click!();
    expect(window().webContents.sent).toContainEqual({ channel: menuCommandChannel, args: ["new-conversation"] });
  });

  it("brings its window forward when launched a second time", () => {
    window().minimized = true;
    electron.app.emit("second-instance");
    expect(window().restore).toHaveBeenCalled();
    expect(window().focus).toHaveBeenCalled();
  });

  it("closes the chat service before quitting", async () => {
    const event = { preventDefault: vi.fn() };
    electron.app.emit("will-quit", event);
    expect(event.preventDefault).toHaveBeenCalled();
    await vi.waitFor(() => expect(electron.app.quit).toHaveBeenCalled());
    expect(service.close).toHaveBeenCalled();
  });

  it("quits at once when another instance holds the lock", async () => {
    const second = await loadMain(false);
    expect(second.app.quit).toHaveBeenCalled();
    expect(second.BrowserWindow.created).toHaveLength(0);
  });
});
