import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startServer, type RunningServer } from "../../electron/server/server";
import { startService, type TestService } from "../chat/helpers";

export interface TestServer extends TestService {
  server: RunningServer;
  token: string;
  uiDir: string;
  /** fetch on the server with the token (unless headers say otherwise). */
  api(pathname: string, init?: RequestInit): Promise<Response>;
}

/** The server in this process on a free port, over a fresh service (with the test model if asked). */
export async function startTestServer(options: Parameters<typeof startService>[0] = {}): Promise<TestServer> {
  const t = await startService(options);
  const uiDir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-ui-"));
  const token = "test-token-0123456789";
  const server = await startServer({ service: t.service, token, port: 0, uiDir });
  return {
    ...t,
    server,
    token,
    uiDir,
    api: (pathname, init = {}) =>
      fetch(server.url + pathname, {
        ...init,
        headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string> | undefined) },
      }),
    async close() {
      await server.close();
      await t.close();
      fs.rmSync(uiDir, { recursive: true, force: true });
    },
  };
}

/**
 * A raw request, for what fetch will not send: a foreign Host header, a path with "..", a body
 * without a declared length.
 */
export function rawRequest(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer | string; chunked?: boolean },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, method: options.method ?? "GET", path: options.path, headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    // The server may answer (413) and close before the whole body is sent: that is the answer wanted.
    req.on("error", reject);
    if (options.body !== undefined) {
      if (options.chunked) {
        const body = Buffer.from(options.body);
        for (let at = 0; at < body.length; at += 64 * 1024) req.write(body.subarray(at, at + 64 * 1024));
      } else req.write(options.body);
    }
    req.end();
  });
}
