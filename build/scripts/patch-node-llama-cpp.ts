/**
 * Runs after every install: applies `build/node-llama-cpp-patches/` to the
 * installed node-llama-cpp, whose JavaScript has no build step of its own to
 * lay it fresh. Each `NNNN-name.patch` there is a git diff whose paths start in
 * the package's folder, written against the pinned release. npm leaves an
 * installed package as it was, so a patch that reverses cleanly is already
 * applied and skipped; one that neither applies nor reverses (another release
 * of the package, say) stops the install naming it.
 */
import path from "node:path";
import { applyPatchSet, isApplied, readPatchSet } from "./llama-patch-set";
import { packageDir } from "./llama-source";

const dir = path.resolve(import.meta.dirname, "../node-llama-cpp-patches");

for (const patch of await readPatchSet(dir)) {
  if (await isApplied(packageDir, patch)) continue;
  await applyPatchSet(packageDir, [patch]);
  console.log(`patch-node-llama-cpp: ${patch.name} applied`);
}
