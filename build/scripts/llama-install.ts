/**
 * Runs after every install, after the node-llama-cpp patches: builds Reprise's llama.cpp for
 * exact drafting on this CPU, as `npm run llama:build` does, so that `npm install` alone gives the
 * app that drafts at every length and thread count. It needs git, CMake and a C++ compiler; where
 * one is missing the install still succeeds, on node-llama-cpp's prebuilt binary, where the
 * calibration cuts drafts short or turns them off, and one line says what to install. A build
 * that fails is reported the same way: the app runs without it. The build is made once per patch
 * set and found again by later installs. `REPRISE_PREBUILT_LLAMA=1` skips it, for those who want
 * the prebuilt binary.
 */
import { spawnSync } from "node:child_process";
import { compileLlamaCpp } from "./llama-compile";

const skip = "REPRISE_PREBUILT_LLAMA";

function runs(command: string): boolean {
  return spawnSync(command, ["--version"], { stdio: "ignore", shell: process.platform === "win32" }).status === 0;
}

/** The tools the build needs that this machine lacks. Windows' compiler is found by CMake, not on the PATH. */
function missingTools(): string[] {
  const compilers = [process.env.CXX, "c++", "g++", "clang++"].filter((c): c is string => Boolean(c));
  return [
    ...(runs("git") ? [] : ["git"]),
    ...(runs("cmake") ? [] : ["CMake"]),
    ...(process.platform === "win32" || compilers.some(runs) ? [] : ["a C++ compiler"]),
  ];
}

const howToInstall: Partial<Record<NodeJS.Platform, string>> = {
  linux: "e.g. `sudo apt install git cmake g++`",
  darwin: "`xcode-select --install`, then `brew install cmake`",
  win32: "Visual Studio Build Tools with the C++ workload and CMake",
};

const fallback = "replies are drafted on node-llama-cpp's prebuilt llama.cpp, where drafts are cut short or off";

if (process.env[skip] === "1") {
  console.log(`llama-install: ${skip}=1, so llama.cpp is not built: ${fallback}.`);
} else {
  const missing = missingTools();
  if (missing.length > 0) {
    const how = howToInstall[process.platform] ?? "from your system's packages";
    console.log(
      `llama-install: ${missing.join(", ")} not found, so ${fallback}. For exact drafting at any length, install them (${how}), then run \`npm run llama:build\`.`,
    );
  } else {
    console.log(`llama-install: building llama.cpp for exact drafting on this CPU (once per patch set: minutes; ${skip}=1 skips it)`);
    const started = performance.now();
    try {
      const llama = await compileLlamaCpp("native");
      await llama.dispose();
      console.log(`llama-install: llama.cpp for exact drafting ready in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    } catch (error) {
      console.log(
        `llama-install: the build failed (${(error as Error).message.split("\n")[0]}), so ${fallback}. Run \`npm run llama:build\` to see why.`,
      );
    }
  }
}
