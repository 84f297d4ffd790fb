/**
 * `npm run peer:build`: builds llama.cpp's own `llama-server`, the program a
 * user who wants a fast local model would pick instead of Reprise, so that
 * `npm run bench -- --peer PATH` can measure against it. It is built from the
 * git bundle node-llama-cpp ships (the same llama.cpp release Reprise runs, no
 * network) with stock options only — never Reprise's patches, which live in a
 * different tree — into the per-user cache, outside the repository. It takes
 * several minutes once, at low priority because the machine may be shared; a
 * later run finds the binary and returns at once. It prints the binary's path.
 */
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { noAmxFlags } from "../../electron/engine/llama";
import { builtPeerServer, bundledLlamaDir, bundledRelease, peerDir } from "./peer-path";

/**
 * The configuration DESIGN.md names for the peer: stock, offline, native CPU; and, as in Reprise's
 * own build, AMX left out on x86, where a virtual machine that reports AMX without enabling it
 * kills a stock build at its first batch (see `noAmxFlags`).
 */
const stockCmakeOptions = [
  "-DLLAMA_BUILD_TESTS=OFF",
  "-DLLAMA_BUILD_EXAMPLES=OFF",
  "-DGGML_NATIVE=ON",
  "-DLLAMA_CURL=OFF",
  "-DLLAMA_OPENSSL=OFF",
  "-DCMAKE_BUILD_TYPE=Release",
  ...(noAmxFlags === null ? [] : [`-DCMAKE_C_FLAGS=${noAmxFlags}`, `-DCMAKE_CXX_FLAGS=${noAmxFlags}`]),
];

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // `nice` keeps the long compile from starving whatever else shares the machine.
    const child = spawn("nice", ["-n", "19", command, ...args], { cwd, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? `exit ${code}`})`)),
    );
  });
}

const release = bundledRelease();
const dir = peerDir();
const binary = path.join(dir, "llama-server");

if (builtPeerServer() === null) {
  const started = performance.now();
  // A source tree left by an interrupted build is discarded, and a link into a tree deleted since:
  // every build starts from the bundle.
  const sourceDir = path.join(dir, "llama.cpp");
  await fs.rm(binary, { force: true });
  await fs.rm(sourceDir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  await run("git", ["-c", "advice.detachedHead=false", "clone", "--quiet", path.join(bundledLlamaDir, "gitRelease.bundle"), sourceDir], dir);
  await run("cmake", ["-B", "build", ...stockCmakeOptions], sourceDir);
  await run("cmake", ["--build", "build", "--target", "llama-server", "-j2"], sourceDir);
  // The binary loads llama.cpp's shared libraries from its build tree, so it stays there; the link
  // beside the tree is made last, so its presence means a finished build.
  await fs.symlink(path.join(sourceDir, "build", "bin", "llama-server"), binary);
  console.error(`llama-server ${release} built in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
console.log(binary);
