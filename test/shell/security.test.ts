import { EventEmitter } from "node:events";
import type { Session, WebContents } from "electron";
import { describe, expect, it, vi } from "vitest";
import {
  denyPermissions,
  hardenWebContents,
  isAppResource,
  isExternalWebUrl,
  isSameDocument,
  lockDownRequests,
} from "../../electron/shell/security";

const appUrl = "file:///opt/Reprise/resources/app.asar/out/renderer/index.html";

class FakeContents extends EventEmitter {
  openHandler: ((details: { url: string }) => { action: string }) | undefined;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.openHandler = handler;
  }
}

function navigate(contents: FakeContents, channel: string, url: string): boolean {
  const event = { url, preventDefault: vi.fn() };
  contents.emit(channel, event);
  return event.preventDefault.mock.calls.length > 0;
}

function harden() {
  const contents = new FakeContents();
  const openExternal = vi.fn();
  hardenWebContents(contents as unknown as WebContents, { appUrl, openExternal });
  return { contents, openExternal };
}

describe("navigation and new windows", () => {
  it("blocks navigation away from the app and opens web links in the system browser", () => {
    const { contents, openExternal } = harden();
    expect(navigate(contents, "will-navigate", "https://example.com/page")).toBe(true);
    expect(openExternal).toHaveBeenCalledWith("https://example.com/page");
    for (const url of ["file:///etc/passwd", "javascript:alert(1)", "smb://host/share", "ms-settings:", "data:text/html,x"]) {
      expect(navigate(contents, "will-navigate", url)).toBe(true);
    }
    expect(openExternal).toHaveBeenCalledTimes(1);
  });

  it("lets the app reload its own page", () => {
    const { contents } = harden();
    expect(navigate(contents, "will-navigate", `${appUrl}#settings`)).toBe(false);
  });

  it("cancels redirects elsewhere and refuses webviews", () => {
    const { contents } = harden();
    expect(navigate(contents, "will-redirect", "https://evil.example/")).toBe(true);
    const attach = { preventDefault: vi.fn() };
    contents.emit("will-attach-webview", attach);
    expect(attach.preventDefault).toHaveBeenCalled();
  });

  it("denies every new window; web links go to the system browser, other schemes nowhere", () => {
    const { contents, openExternal } = harden();
    expect(contents.openHandler!({ url: "https://example.com" })).toEqual({ action: "deny" });
    expect(contents.openHandler!({ url: "file:///bin/sh" })).toEqual({ action: "deny" });
    expect(contents.openHandler!({ url: "vscode://open?x" })).toEqual({ action: "deny" });
    expect(openExternal.mock.calls).toEqual([["https://example.com"]]);
  });

  it("tells web links from everything else", () => {
    expect(isExternalWebUrl("https://a.b")).toBe(true);
    expect(isExternalWebUrl("mailto:x@y.z")).toBe(true);
    for (const url of ["file:///x", "javascript:x", "not a url", "chrome://settings"]) expect(isExternalWebUrl(url)).toBe(false);
    expect(isSameDocument(`${appUrl}?x=1`, appUrl)).toBe(true);
    expect(isSameDocument("file:///opt/Reprise/other.html", appUrl)).toBe(false);
  });
});

function fakeSession() {
  const handlers: Record<string, (...args: never[]) => unknown> = {};
  const session = {
    setPermissionRequestHandler: (h: never) => (handlers.request = h),
    setPermissionCheckHandler: (h: never) => (handlers.check = h),
    setDevicePermissionHandler: (h: never) => (handlers.device = h),
    webRequest: {
      onBeforeRequest: (h: never) => (handlers.beforeRequest = h),
      onHeadersReceived: (h: never) => (handlers.headers = h),
    },
  };
  return { session: session as unknown as Session, handlers };
}

describe("session", () => {
  it("denies every permission request and check but writing to the clipboard", () => {
    const { session, handlers } = fakeSession();
    denyPermissions(session);
    for (const permission of ["media", "geolocation", "notifications", "clipboard-read", "openExternal", "hid"]) {
      const callback = vi.fn();
      (handlers.request as (...a: unknown[]) => void)({}, permission, callback);
      expect(callback).toHaveBeenCalledWith(false);
      expect((handlers.check as (...a: unknown[]) => boolean)({}, permission)).toBe(false);
    }
    expect((handlers.device as () => boolean)()).toBe(false);
    const callback = vi.fn();
    (handlers.request as (...a: unknown[]) => void)({}, "clipboard-sanitized-write", callback);
    expect(callback).toHaveBeenCalledWith(true);
  });

  it("cancels requests that leave the app and sends the CSP with every response", () => {
    const { session, handlers } = fakeSession();
    lockDownRequests(session, "default-src 'none'", appUrl);
    const cancelled = (url: string): boolean => {
      let result: { cancel: boolean } | undefined;
      (handlers.beforeRequest as (...a: unknown[]) => void)({ url }, (r: { cancel: boolean }) => (result = r));
      return result!.cancel;
    };
    expect(cancelled("file:///opt/Reprise/resources/app.asar/out/renderer/assets/index.js")).toBe(false);
    expect(cancelled("https://example.com/x.png")).toBe(true);
    expect(cancelled("http://127.0.0.1:8080/api")).toBe(true);
    expect(cancelled("file:///etc/passwd")).toBe(true);
    expect(cancelled("file:///opt/Reprise/resources/app.asar/out/renderer/../../../secret")).toBe(true);
    let headers: Record<string, string[]> = {};
    (handlers.headers as (...a: unknown[]) => void)(
      { responseHeaders: { "Content-Type": ["text/html"] } },
      (r: { responseHeaders: Record<string, string[]> }) => (headers = r.responseHeaders),
    );
    expect(headers).toEqual({ "Content-Type": ["text/html"], "Content-Security-Policy": ["default-src 'none'"] });
  });

  it("allows a dev server's own origin only", () => {
    expect(isAppResource("http://localhost:5173/src/main.ts", "http://localhost:5173/")).toBe(true);
    expect(isAppResource("http://localhost:5174/x", "http://localhost:5173/")).toBe(false);
    expect(isAppResource("ws://localhost:5173/", "http://localhost:5173/")).toBe(true);
    expect(isAppResource("ws://evil.example/", "http://localhost:5173/")).toBe(false);
    expect(isAppResource("devtools://devtools/bundled/x", appUrl)).toBe(true);
    expect(isAppResource("blob:null/8d3c2d6e-0d47-4f6b-9a0b-3c5e6b1f1f1f", appUrl)).toBe(true);
  });
});
