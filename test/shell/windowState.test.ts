import { EventEmitter } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BrowserWindow } from "electron";
import { describe, expect, it, vi } from "vitest";
import {
  defaultWindowState,
  fitToDisplays,
  loadWindowState,
  parseWindowState,
  trackWindowState,
} from "../../electron/shell/windowState";

const screen = { x: 0, y: 0, width: 1920, height: 1040 };

describe("window state", () => {
  it("reads back only sane values", () => {
    expect(parseWindowState({ x: 5, y: 6, width: 900, height: 600, maximized: true })).toEqual({
      x: 5,
      y: 6,
      width: 900,
      height: 600,
      maximized: true,
    });
    expect(parseWindowState({ width: 900, height: 600 })).toEqual({ width: 900, height: 600, maximized: false });
    for (const bad of [null, "x", { width: 50, height: 600 }, { width: "900", height: 600 }, { width: 1e9, height: 600 }]) {
      expect(parseWindowState(bad)).toBeNull();
    }
  });

  it("forgets a place on a screen that is gone, and shrinks a window larger than the screen", () => {
    expect(fitToDisplays({ x: 3000, y: 100, width: 900, height: 600, maximized: false }, [screen])).toEqual({
      width: 900,
      height: 600,
      maximized: false,
    });
    expect(fitToDisplays({ x: 100, y: 100, width: 4000, height: 3000, maximized: false }, [screen])).toEqual({
      x: 100,
      y: 100,
      width: 1920,
      height: 1040,
      maximized: false,
    });
    const second = { x: 1920, y: 0, width: 1280, height: 1000 };
    expect(fitToDisplays({ x: 2000, y: 50, width: 900, height: 600, maximized: false }, [screen, second])).toMatchObject({ x: 2000 });
  });

  it("starts from the defaults without a file or with a corrupt one", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-window-"));
    const file = path.join(dir, "window-state.json");
    expect(loadWindowState(file, [screen])).toEqual(defaultWindowState);
    fs.writeFileSync(file, "{not json");
    expect(loadWindowState(file, [screen])).toEqual(defaultWindowState);
  });

  it("remembers the normal bounds and the maximized flag when the window closes", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-window-"));
    const file = path.join(dir, "sub", "window-state.json");
    const window = Object.assign(new EventEmitter(), {
      getNormalBounds: () => ({ x: 40, y: 50, width: 1200, height: 800 }),
      isMaximized: () => true,
    });
    vi.useFakeTimers();
    try {
      trackWindowState(window as unknown as BrowserWindow, file);
      window.emit("resize");
      window.emit("move");
      expect(fs.existsSync(file)).toBe(false);
      window.emit("close");
    } finally {
      vi.useRealTimers();
    }
    expect(loadWindowState(file, [screen])).toEqual({ x: 40, y: 50, width: 1200, height: 800, maximized: true });
  });
});
