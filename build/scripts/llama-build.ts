/**
 * `npm run llama:build`: Reprise's llama.cpp for exact drafting on the CPU of
 * this machine (see `cpuBuilds.native`), patched from `build/llama-patches/`.
 * The first build of a patch set takes a few minutes; a later run lays the
 * source fresh and patches it again, then finds the build. Without it the app
 * runs on the prebuilt binaries, where drafting can stay exact only on one
 * thread.
 */
import { compileLlamaCpp } from "./llama-compile";

const started = performance.now();
const llama = await compileLlamaCpp("native");
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`llama.cpp for exact drafting on this CPU (${llama.buildType}) ready in ${seconds} s`);
await llama.dispose();
