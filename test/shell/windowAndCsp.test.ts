import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { contentSecurityPolicy, metaContentSecurityPolicy } from "../../electron/shell/csp";
import { mainWindowOptions } from "../../electron/shell/windowOptions";

const root = path.resolve(import.meta.dirname, "../..");

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

describe("BrowserWindow options", () => {
  const options = mainWindowOptions({
    bounds: { x: 10, y: 20, width: 1000, height: 700 },
    preloadPath: "/app/out/preload/preload.cjs",
    darkBackground: true,
  });

  it("isolate the page from Node and Electron", () => {
    expect(options.webPreferences).toMatchObject({
      preload: "/app/out/preload/preload.cjs",
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
    });
  });

  it("open where the window was, hidden until painted, on the theme's background", () => {
    expect(options).toMatchObject({ x: 10, y: 20, width: 1000, height: 700, show: false, backgroundColor: "#17181c" });
  });
});

describe("Content Security Policy", () => {
  const policy = directives(contentSecurityPolicy);

  it("runs only the app's own scripts: no inline script, no eval", () => {
    expect(policy.get("default-src")).toEqual(["'none'"]);
    expect(policy.get("script-src")).toEqual(["'self'"]);
    expect(contentSecurityPolicy).not.toMatch(/unsafe-eval|wasm-unsafe-eval|strict-dynamic|\*/);
    expect(policy.get("script-src")).not.toContain("'unsafe-inline'");
  });

  it("reaches no other origin and embeds nothing", () => {
    expect(policy.get("connect-src")).toEqual(["'self'"]);
    expect(policy.get("img-src")).toEqual(["'self'"]);
    for (const name of ["object-src", "frame-src", "worker-src", "base-uri", "form-action", "frame-ancestors"]) {
      expect(policy.get(name)).toEqual(["'none'"]);
    }
  });

  it("is the policy of the page's meta tag", () => {
    expect(metaContentSecurityPolicy).toBe(contentSecurityPolicy.replace("; frame-ancestors 'none'", ""));
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/;
    const source = fs.readFileSync(path.join(root, "renderer/index.html"), "utf8");
    expect(source.match(meta)?.[1]).toBe(metaContentSecurityPolicy);
  });
});
