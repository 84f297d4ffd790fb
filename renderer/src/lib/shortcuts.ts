import type { MenuCommand } from "../../../electron/shell/channels";

/**
 * The app menu's shortcuts, for the browser UI (the desktop app gets them from
 * its menu). Ctrl+N and Ctrl+O belong to the browser itself, so new
 * conversation is Ctrl+Shift+O there, as in other chat web apps.
 */
export function shortcutFor(event: KeyboardEvent): MenuCommand | null {
  const mod = event.ctrlKey || event.metaKey;
  if (!mod || event.altKey) return null;
  const key = event.key.toLowerCase();
  if (event.shiftKey) return key === "o" ? "new-conversation" : null;
  if (key === "k") return "search";
  if (key === ",") return "settings";
  if (key === "l") return "focus-composer";
  return null;
}
