import type { BrowserWindowConstructorOptions } from "electron";

export interface WindowOptionsInput {
  /** Without x and y the window is centred. */
  bounds: { x?: number; y?: number; width: number; height: number };
  preloadPath: string;
  darkBackground: boolean;
}

/**
 * The main window's options. The renderer shows model output, which is
 * untrusted, so it runs with no Node, in a sandbox, behind context isolation,
 * with every optional surface (webviews, insecure content, experimental
 * features, drag-and-drop navigation) off.
 */
export function mainWindowOptions({ bounds, preloadPath, darkBackground }: WindowOptionsInput): BrowserWindowConstructorOptions {
  return {
    ...bounds,
    minWidth: 520,
    minHeight: 400,
    title: "Reprise",
    // Shown on ready-to-show, so the first frame is the themed UI, not a white flash.
    show: false,
    backgroundColor: darkBackground ? "#17181c" : "#ffffff",
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: true,
    },
  };
}
