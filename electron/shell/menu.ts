import type { MenuItemConstructorOptions } from "electron";
import type { MenuCommand } from "./channels";

export interface MenuOptions {
  platform: NodeJS.Platform;
  appName: string;
  /** Developer tools and reload are for development builds only. */
  development: boolean;
  send: (command: MenuCommand) => void;
}

/**
 * The app menu. Standard editing and window items use Electron's roles, so
 * each platform gets its own shortcuts and wording; app commands go to the page,
 * which owns the state they act on.
 */
export function appMenuTemplate({ platform, appName, development, send }: MenuOptions): MenuItemConstructorOptions[] {
  const mac = platform === "darwin";
  const command = (label: string, accelerator: string, name: MenuCommand): MenuItemConstructorOptions => ({
    label,
    accelerator,
    click: () => send(name),
  });
  const template: MenuItemConstructorOptions[] = [];
  if (mac) {
    template.push({
      label: appName,
      submenu: [
        { role: "about" },
        { type: "separator" },
        command("Settings…", "CmdOrCtrl+,", "settings"),
        { type: "separator" },
        { role: "services" },
        { type: "separator" },
        { role: "hide" },
        { role: "hideOthers" },
        { role: "unhide" },
        { type: "separator" },
        { role: "quit" },
      ],
    });
  }
  template.push(
    {
      label: "&File",
      submenu: [
        command("New Conversation", "CmdOrCtrl+N", "new-conversation"),
        command("Search Conversations…", "CmdOrCtrl+K", "search"),
        { type: "separator" },
        command("Import…", "CmdOrCtrl+O", "import"),
        command("Export…", "CmdOrCtrl+E", "export"),
        ...(mac ? [] : ([{ type: "separator" }, command("Settings…", "CmdOrCtrl+,", "settings"), { type: "separator" }, { role: "quit" }] as MenuItemConstructorOptions[])),
      ],
    },
    {
      label: "&Edit",
      submenu: [
        { role: "undo" },
        { role: "redo" },
        { type: "separator" },
        { role: "cut" },
        { role: "copy" },
        { role: "paste" },
        { role: "selectAll" },
      ],
    },
    {
      label: "&View",
      submenu: [
        command("Focus Message Box", "CmdOrCtrl+L", "focus-composer"),
        { type: "separator" },
        ...(development ? ([{ role: "reload" }, { role: "toggleDevTools" }, { type: "separator" }] as MenuItemConstructorOptions[]) : []),
        { role: "resetZoom" },
        { role: "zoomIn" },
        { role: "zoomOut" },
        { type: "separator" },
        { role: "togglefullscreen" },
      ],
    },
    { role: "windowMenu" },
  );
  return template;
}
