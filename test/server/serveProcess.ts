import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "../..");

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  token: string;
  output(): string;
  api(pathname: string, init?: RequestInit): Promise<Response>;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
}

/**
 * `npm run serve` as a real process (node with tsx's loader directly, so that the pid is the server's
 * own and a SIGKILL hits it, not a wrapper). Resolves once the model is ready (or failed to load).
 */
export async function spawnServe(dataDir: string, args: string[] = []): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "electron/server/serve.ts", "--port", "0", "--data-dir", dataDir, "--threads", "1", ...args],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (/Model ready|Model not loaded|No model found/.test(out)) {
        clearInterval(timer);
        resolve();
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`serve exited with ${code}:\n${out}`));
    });
  });
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  if (!url) throw new Error(`serve printed no URL:\n${out}`);
  const token = fs.readFileSync(path.join(dataDir, "access-token"), "utf8").trim();
  return {
    child,
    url,
    token,
    exited,
    output: () => out,
    api: (pathname, init = {}) =>
      fetch(url + pathname, {
        ...init,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers as Record<string, string> | undefined) },
      }),
  };
}
