import path from "node:path";
import { pathToFileURL } from "node:url";
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeTheme, screen, session, shell } from "electron";
import { userDataDir } from "./paths";
import { menuCommandChannel } from "./shell/channels";
import { contentSecurityPolicy } from "./shell/csp";
import { openDesktopService, type DesktopService } from "./shell/desktopService";
import { registerApiHandlers, type SenderCheck } from "./shell/ipc";
import { appMenuTemplate } from "./shell/menu";
import { denyPermissions, hardenWebContents, isExternalWebUrl, isSameDocument, lockDownRequests } from "./shell/security";
import { registerShellHandlers } from "./shell/shellHandlers";
import { mainWindowOptions } from "./shell/windowOptions";
import { loadWindowState, trackWindowState } from "./shell/windowState";

const development = Boolean(process.env.ELECTRON_RENDERER_URL);
const appUrl = process.env.ELECTRON_RENDERER_URL ?? pathToFileURL(path.join(import.meta.dirname, "../renderer/index.html")).href;
const dataDir = userDataDir();
let mainWindow: BrowserWindow | null = null;

function openExternal(url: string): void {
  if (isExternalWebUrl(url)) void shell.openExternal(url);
}

/** Only the app's own page, in the window's main frame, may talk to main. */
const isTrustedSender: SenderCheck = (event) => {
  const frame = event.senderFrame;
  return frame !== null && frame === event.sender.mainFrame && isSameDocument(frame.url, appUrl);
};

function createMainWindow(): BrowserWindow {
  const stateFile = path.join(dataDir, "window-state.json");
  const state = loadWindowState(
    stateFile,
    [screen.getPrimaryDisplay(), ...screen.getAllDisplays()].map((display) => display.workArea),
  );
  const window = new BrowserWindow(
    mainWindowOptions({
      bounds: { x: state.x, y: state.y, width: state.width, height: state.height },
      preloadPath: path.join(import.meta.dirname, "../preload/preload.cjs"),
      darkBackground: nativeTheme.shouldUseDarkColors,
    }),
  );
  if (state.maximized) window.maximize();
  trackWindowState(window, stateFile);
  window.once("ready-to-show", () => window.show());
  window.on("closed", () => {
    if (mainWindow === window) mainWindow = null;
  });
  void window.loadURL(appUrl);
  return window;
}

function installMenu(): void {
  const template = appMenuTemplate({
    platform: process.platform,
    appName: app.name,
    development,
    send: (command) => mainWindow?.webContents.send(menuCommandChannel, command),
  });
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

/** Stops replies (kept as interrupted) and closes the database before the process ends. */
function closeOnQuit(service: DesktopService): void {
  let closing = false;
  app.on("will-quit", (event) => {
    if (closing) return;
    closing = true;
    event.preventDefault();
    void service.close().finally(() => app.quit());
  });
}

async function start(): Promise<void> {
  await app.whenReady();
  const service = openDesktopService(dataDir, app.getVersion());
  closeOnQuit(service);

  const contents = session.defaultSession;
  denyPermissions(contents);
  lockDownRequests(contents, contentSecurityPolicy, appUrl);
  app.on("web-contents-created", (_event, webContents) => hardenWebContents(webContents, { appUrl, openExternal }));
  registerApiHandlers(ipcMain, service.api, isTrustedSender);
  registerShellHandlers(ipcMain, { dialog, window: () => mainWindow, isTrustedSender });
  installMenu();

  mainWindow = createMainWindow();
  if (service.keptAsidePath) {
    void dialog.showMessageBox(mainWindow, {
      type: "warning",
      message: "Your conversation database could not be opened.",
      detail: `It was kept at ${service.keptAsidePath} and a new, empty one was started.`,
    });
  }
  if (service.startupModel) void service.load(service.startupModel);

  app.on("activate", () => {
    if (!mainWindow) mainWindow = createMainWindow();
  });
}

// One instance owns the database; a second launch brings the first one's window forward instead.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.setName("Reprise");
  // The same folder as `npm run serve` and paths.ts use, so both see one store.
  app.setPath("userData", dataDir);
  app.on("second-instance", () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on("window-all-closed", () => {
    if (process.platform !== "darwin") app.quit();
  });
  void start();
}
