import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { modelCacheDir } from "../../electron/paths";

/** node-llama-cpp's llama.cpp folder: its git bundle of the llama.cpp release it is built on, and that release's tag. */
export const bundledLlamaDir = path.join(path.resolve(path.dirname(fileURLToPath(import.meta.resolve("node-llama-cpp"))), ".."), "llama");

/** The llama.cpp release node-llama-cpp ships ("v0.4.0"). */
export function bundledRelease(): string {
  const { tag } = JSON.parse(fs.readFileSync(path.join(bundledLlamaDir, "llama.cpp.info.json"), "utf8")) as { tag: unknown };
  if (typeof tag !== "string" || !/^[\w.-]+$/.test(tag)) {
    throw new Error(`unexpected llama.cpp release tag in node-llama-cpp: ${JSON.stringify(tag)}`);
  }
  return tag;
}

/** Where `npm run peer:build` puts llama-server for that release: the per-user cache, beside the models. */
export function peerDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(path.dirname(modelCacheDir(env)), "peer", bundledRelease());
}

/** The built llama-server, or null before `npm run peer:build` has finished. */
export function builtPeerServer(env: NodeJS.ProcessEnv = process.env): string | null {
  const binary = path.join(peerDir(env), "llama-server");
  return fs.existsSync(binary) ? binary : null;
}
