import fs from "node:fs";
import path from "node:path";
import type { BrowserWindow, Rectangle } from "electron";

export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export const defaultWindowState: WindowState = { width: 1100, height: 760, maximized: false };

/** How much of the title bar must be on some screen for the saved place to count as reachable. */
const minVisible = 64;

function isInt(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && Math.abs(value) < 1e6;
}

/** A saved state read back from disk, or null when the file is missing, corrupt or hand-edited into nonsense. */
export function parseWindowState(value: unknown): WindowState | null {
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  if (!isInt(v.width) || !isInt(v.height) || v.width < 200 || v.height < 200) return null;
  const state: WindowState = { width: v.width, height: v.height, maximized: v.maximized === true };
  if (isInt(v.x) && isInt(v.y)) {
    state.x = v.x;
    state.y = v.y;
  }
  return state;
}

function overlap(a: Rectangle, b: Rectangle): { width: number; height: number } {
  return {
    width: Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x),
    height: Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y),
  };
}

/**
 * Keeps a remembered window reachable after a monitor was unplugged or the
 * resolution changed: a place with no visible title bar is forgotten (the
 * window is centred), and a size larger than the screen is shrunk to it.
 */
export function fitToDisplays(state: WindowState, workAreas: readonly Rectangle[]): WindowState {
  const primary = workAreas[0];
  if (!primary) return state;
  const width = Math.min(state.width, primary.width);
  const height = Math.min(state.height, primary.height);
  if (state.x === undefined || state.y === undefined) return { width, height, maximized: state.maximized };
  const titleBar = { x: state.x, y: state.y, width: state.width, height: minVisible };
  const onScreen = workAreas.find((area) => {
    const o = overlap(titleBar, area);
    return o.width >= minVisible && o.height >= minVisible / 2;
  });
  if (!onScreen) return { width, height, maximized: state.maximized };
  return { ...state, width: Math.min(state.width, onScreen.width), height: Math.min(state.height, onScreen.height) };
}

export function loadWindowState(file: string, workAreas: readonly Rectangle[]): WindowState {
  let saved: WindowState | null = null;
  try {
    saved = parseWindowState(JSON.parse(fs.readFileSync(file, "utf8")));
  } catch {
    saved = null;
  }
  return fitToDisplays(saved ?? defaultWindowState, workAreas);
}

function saveWindowState(file: string, state: WindowState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Written aside and renamed, so a crash mid-write never leaves a half file.
  const temporary = `${file}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(state));
  fs.renameSync(temporary, file);
}

/**
 * Remembers the window's size and place as the user changes them. While the
 * window is maximized the last normal bounds are kept, so un-maximizing after a
 * restart returns to them.
 */
export function trackWindowState(window: BrowserWindow, file: string): void {
  let timer: NodeJS.Timeout | undefined;
  const snapshot = (): WindowState => ({ ...window.getNormalBounds(), maximized: window.isMaximized() });
  const saveSoon = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => saveWindowState(file, snapshot()), 500);
  };
  window.on("resize", saveSoon);
  window.on("move", saveSoon);
  window.on("maximize", saveSoon);
  window.on("unmaximize", saveSoon);
  window.on("close", () => {
    clearTimeout(timer);
    saveWindowState(file, snapshot());
  });
}
