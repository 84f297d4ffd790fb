import fs from "node:fs/promises";
import path from "node:path";
import type { ServerResponse } from "node:http";
import { contentSecurityPolicy } from "../shell/csp";
import { baseHeaders, sendJson } from "./respond";

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/** What a browser gets when the UI has not been built: a page that says how to build it. */
const notBuiltPage = (dir: string) => `<!doctype html>
<meta charset="utf-8"><title>Reprise</title>
<h1>The Reprise UI is not built</h1>
<p>No built UI was found in <code>${dir.replace(/[<>&]/g, "")}</code>. Run <code>npm run build</code>, then restart
<code>npm run serve</code>. The API under <code>/api</code> and <code>/v1</code> works without it.</p>
`;

/**
 * Serves the built UI (out/renderer) under a strict Content Security Policy. Only files inside `dir`
 * are served; "/" is index.html.
 */
export async function serveStatic(res: ServerResponse, dir: string, pathname: string, head: boolean): Promise<void> {
  const headers = { ...baseHeaders, "content-security-policy": contentSecurityPolicy };
  let relative: string;
  try {
    relative = decodeURIComponent(pathname === "/" ? "/index.html" : pathname);
  } catch {
    sendJson(res, 404, { error: "Not found", code: "not_found" });
    return;
  }
  const file = path.resolve(dir, `.${relative}`);
  if (!file.startsWith(path.resolve(dir) + path.sep) || relative.includes("\0")) {
    sendJson(res, 404, { error: "Not found", code: "not_found" });
    return;
  }
  const content = (await isInside(dir, file)) ? await fs.readFile(file).catch(() => null) : null;
  if (!content) {
    if (pathname === "/") {
      const page = notBuiltPage(dir);
      res.writeHead(503, { ...headers, "content-type": "text/html; charset=utf-8" });
      res.end(head ? undefined : page);
      return;
    }
    sendJson(res, 404, { error: `Not found: ${pathname}`, code: "not_found" });
    return;
  }
  res.writeHead(200, {
    ...headers,
    "content-type": contentTypes[path.extname(file).toLowerCase()] ?? "application/octet-stream",
    "content-length": content.length,
  });
  res.end(head ? undefined : content);
}

/**
 * Whether `file`, with every symbolic link followed, is still inside `dir`: a link in the UI folder
 * must not serve what it points to elsewhere. False for a file that does not exist.
 */
async function isInside(dir: string, file: string): Promise<boolean> {
  try {
    const [realDir, realFile] = await Promise.all([fs.realpath(dir), fs.realpath(file)]);
    return realFile.startsWith(realDir + path.sep);
  } catch {
    return false;
  }
}
