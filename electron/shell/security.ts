import type { Session, WebContents } from "electron";

/** Links the system browser may open. Anything else (file:, smb:, custom schemes) could start a program. */
export function isExternalWebUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === "https:" || protocol === "http:" || protocol === "mailto:";
  } catch {
    return false;
  }
}

/**
 * Whether `url` is the app's own page: the same document (any hash), loaded
 * from the same file or dev-server origin as the one the window opened.
 */
export function isSameDocument(url: string, appUrl: string): boolean {
  try {
    const a = new URL(url);
    const b = new URL(appUrl);
    return a.protocol === b.protocol && a.host === b.host && a.pathname === b.pathname;
  } catch {
    return false;
  }
}

/**
 * Whether the renderer may load `url`: the app's own origin, and under file://
 * only files beside the app's page (file:// has no host to tell origins apart).
 */
export function isAppResource(url: string, appUrl: string): boolean {
  try {
    const target = new URL(url);
    const app = new URL(appUrl);
    // Blobs are made by the page itself (an export being saved); devtools only exist when opened.
    if (target.protocol === "devtools:" || target.protocol === "blob:") return true;
    // The dev server's hot reload talks over a WebSocket to the page's own host.
    const protocol = target.protocol === "ws:" ? "http:" : target.protocol === "wss:" ? "https:" : target.protocol;
    if (protocol !== app.protocol || target.host !== app.host) return false;
    if (app.protocol !== "file:") return true;
    const folder = app.pathname.slice(0, app.pathname.lastIndexOf("/") + 1);
    return target.pathname.startsWith(folder) && !decodeURIComponent(target.pathname).includes("/../");
  } catch {
    return false;
  }
}

export interface HardenOptions {
  appUrl: string;
  openExternal: (url: string) => void;
}

/**
 * The window never leaves the app: navigations and redirects elsewhere are
 * cancelled, new windows are refused, and web links go to the system browser
 * instead. Model output can contain links, so this is not hypothetical.
 */
export function hardenWebContents(contents: WebContents, { appUrl, openExternal }: HardenOptions): void {
  const guard = (event: { preventDefault(): void }, url: string): void => {
    if (isSameDocument(url, appUrl)) return;
    event.preventDefault();
    if (isExternalWebUrl(url)) openExternal(url);
  };
  contents.on("will-navigate", (event) => guard(event, event.url));
  contents.on("will-redirect", (event) => {
    if (!isSameDocument(event.url, appUrl)) event.preventDefault();
  });
  contents.on("will-attach-webview", (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalWebUrl(url)) openExternal(url);
    return { action: "deny" };
  });
}

/** Writing to the clipboard, for the copy buttons; Chromium asks for it even on a click. */
const allowedPermissions = new Set<string>(["clipboard-sanitized-write"]);

/**
 * Camera, microphone, notifications, geolocation, reading the clipboard, HID,
 * serial, USB: a chat app needs none of them, so every request is refused but
 * the one above.
 */
export function denyPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, permission, callback) => callback(allowedPermissions.has(permission)));
  session.setPermissionCheckHandler((_contents, permission) => allowedPermissions.has(permission));
  session.setDevicePermissionHandler(() => false);
}

/**
 * Sends the CSP as a header as well as the page's meta tag, and cancels every
 * request that does not go to the app's own origin: the renderer has nothing to
 * fetch from anywhere else, so a request elsewhere can only be an attack.
 */
export function lockDownRequests(session: Session, policy: string, appUrl: string): void {
  session.webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !isAppResource(details.url, appUrl) });
  });
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, "Content-Security-Policy": [policy] } });
  });
}
