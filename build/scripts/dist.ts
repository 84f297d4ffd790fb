/**
 * `npm run dist`: the installers. It compiles the portable CPU build of
 * llama.cpp (`cpuBuilds.portable`: ggml's CPU backend once per feature level,
 * so it takes a long while the first time), builds the app, then runs
 * electron-builder, telling it which build to ship: only that one, never the
 * native build `npm run llama:build` leaves on this machine, which may not run
 * on another CPU. Arguments are passed on to electron-builder.
 */
import { spawn } from "node:child_process";
import { compileLlamaCpp, localBuildSuffix } from "./llama-compile";

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: "inherit", env, shell: process.platform === "win32" });
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? `exit ${code}`})`)),
    );
  });
}

const llama = await compileLlamaCpp("portable");
const build = await localBuildSuffix(llama);
await llama.dispose();
await run("npm", ["run", "build"]);
// build/electron-builder.yml ships node-llama-cpp's localBuilds/<os>-<arch>-$REPRISE_LLAMA_BUILD.
await run("npx", ["electron-builder", "--config", "build/electron-builder.yml", ...process.argv.slice(2)], {
  ...process.env,
  REPRISE_LLAMA_BUILD: build,
});
