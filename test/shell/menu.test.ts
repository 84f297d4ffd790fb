import type { MenuItemConstructorOptions } from "electron";
import { describe, expect, it, vi } from "vitest";
import { appMenuTemplate } from "../../electron/shell/menu";

function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? flatten(item.submenu) : [])]);
}

describe("app menu", () => {
  it("has the usual shortcuts, each sending its command to the page", () => {
    const send = vi.fn();
    const items = flatten(appMenuTemplate({ platform: "linux", appName: "Reprise", development: false, send }));
    const byAccelerator = new Map(items.filter((i) => i.accelerator).map((i) => [i.accelerator, i]));
    const expected: [string, string][] = [
      ["CmdOrCtrl+N", "new-conversation"],
      ["CmdOrCtrl+K", "search"],
      ["CmdOrCtrl+,", "settings"],
      ["CmdOrCtrl+E", "export"],
      ["CmdOrCtrl+O", "import"],
      ["CmdOrCtrl+L", "focus-composer"],
    ];
    for (const [accelerator, command] of expected) {
      const item = byAccelerator.get(accelerator)!;
      (item.click as () => void)();
      expect(send).toHaveBeenLastCalledWith(command);
    }
    const roles = items.map((i) => i.role).filter(Boolean);
    expect(roles).toEqual(expect.arrayContaining(["undo", "redo", "cut", "copy", "paste", "selectAll", "quit", "togglefullscreen"]));
    expect(roles).not.toContain("toggleDevTools");
  });

  it("follows macOS conventions there: an app menu with Settings and Quit", () => {
    const template = appMenuTemplate({ platform: "darwin", appName: "Reprise", development: true, send: () => {} });
    expect(template[0]?.label).toBe("Reprise");
    const appItems = flatten([template[0]!]);
    expect(appItems.some((i) => i.label === "Settings…")).toBe(true);
    expect(appItems.some((i) => i.role === "quit")).toBe(true);
    expect(flatten(template).some((i) => i.role === "toggleDevTools")).toBe(true);
  });
});
