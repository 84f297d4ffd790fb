/**
 * `npm run llama:digest`: writes the digest of `build/llama-patches/` into
 * `electron/engine/llamaPatchSet.ts`, where the app (which ships without the
 * patch files) reads it. Run it after changing any patch file; the build
 * refuses to run, and a test fails, until it matches.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { patchSetDigest, readPatchSet } from "./llama-patch-set";

const patchSetModule = path.resolve(import.meta.dirname, "../../electron/engine/llamaPatchSet.ts");

const digest = patchSetDigest(await readPatchSet());
await fs.writeFile(
  patchSetModule,
  `// Written by \`npm run llama:digest\` from build/llama-patches/; test/build/llama-patch-set.test.ts checks it.
/** The digest of Reprise's patch set for llama.cpp and node-llama-cpp's addon. */
export const llamaPatchSet = "${digest}";
`,
);
console.log(`electron/engine/llamaPatchSet.ts: patch set ${digest}`);
