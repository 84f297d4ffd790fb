import path from "node:path";
import { app, BrowserWindow } from "electron";

function createWindow(): void {
  const window = new BrowserWindow({
    width: 1100,
    height: 760,
    title: "Reprise",
    webPreferences: {
      preload: path.join(import.meta.dirname, "../preload/preload.cjs"),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  if (process.env.ELECTRON_RENDERER_URL) void window.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void window.loadFile(path.join(import.meta.dirname, "../renderer/index.html"));
}

void app.whenReady().then(createWindow);
app.on("window-all-closed", () => app.quit());
