import { EventEmitter } from "node:events";
import { vi } from "vitest";
import { FakeIpcMain, FakeSender } from "./fakeIpc";

/**
 * The parts of the `electron` module that main.ts uses, for `vi.mock("electron")`:
 * the Electron binary cannot run here, and the shell's decisions are what is tested.
 */
export class BrowserWindow extends EventEmitter {
  static created: BrowserWindow[] = [];
  readonly webContents = new FakeSender();
  readonly loadURL = vi.fn(async (_url: string) => {});
  readonly show = vi.fn();
  readonly focus = vi.fn();
  readonly restore = vi.fn();
  readonly maximize = vi.fn();
  minimized = false;

  constructor(readonly options: Record<string, unknown>) {
    super();
    BrowserWindow.created.push(this);
  }

  isMinimized(): boolean {
    return this.minimized;
  }
  isMaximized(): boolean {
    return false;
  }
  getNormalBounds() {
    return { x: 1, y: 2, width: 1000, height: 700 };
  }
}

export const app = Object.assign(new EventEmitter(), {
  name: "Reprise",
  lock: true,
  requestSingleInstanceLock: vi.fn(() => app.lock),
  quit: vi.fn(),
  whenReady: vi.fn(() => Promise.resolve()),
  setName: vi.fn(),
  setPath: vi.fn(),
  getVersion: () => "0.1.0",
});

export const ipcMain = new FakeIpcMain();

const sessionHandlers: Record<string, unknown> = {};
export const session = {
  handlers: sessionHandlers,
  defaultSession: {
    setPermissionRequestHandler: (h: unknown) => (sessionHandlers.request = h),
    setPermissionCheckHandler: (h: unknown) => (sessionHandlers.check = h),
    setDevicePermissionHandler: (h: unknown) => (sessionHandlers.device = h),
    webRequest: {
      onBeforeRequest: (h: unknown) => (sessionHandlers.beforeRequest = h),
      onHeadersReceived: (h: unknown) => (sessionHandlers.headers = h),
    },
  },
};

export const Menu = {
  buildFromTemplate: vi.fn((template: unknown) => template),
  setApplicationMenu: vi.fn(),
};

const workArea = { x: 0, y: 0, width: 1920, height: 1040 };
export const screen = {
  getPrimaryDisplay: () => ({ workArea }),
  getAllDisplays: () => [{ workArea }],
};

export const nativeTheme = { shouldUseDarkColors: false };
export const dialog = { showOpenDialog: vi.fn(), showMessageBox: vi.fn(async () => ({ response: 0 })) };
export const shell = { openExternal: vi.fn(async () => {}) };
