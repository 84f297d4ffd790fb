// Runs after every install. node-llama-cpp 3.21.1 judges each drafted token
// against the model's output at the position before it, but reads that output
// from an array it never fills (`validatedTokens`), so every drafted token after
// the first is refuted: one forward pass can never accept more than one draft
// token. The fix reads the previous position's output from the predictions it
// has just validated. Applied here, idempotently, until upstream fixes it.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

// The package's exports hide its package.json; its entry point lies in dist/.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.resolve("node-llama-cpp"))), "..");
const { version } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const file = path.join(root, "dist/evaluator/LlamaContext/LlamaContext.js");
const buggy = ": validatedTokens.at(-1)?.[1];";
const fixed = ": this._loadedTokenPredictions.at(-1)?.[1]?.[0];";

const source = fs.readFileSync(file, "utf8");
if (source.includes(fixed)) process.exit(0);
if (version !== "3.21.1" || source.split(buggy).length !== 2) {
  console.error(`patch-node-llama-cpp: node-llama-cpp ${version} is not the 3.21.1 this patch was written for; check whether ${file} still needs it.`);
  process.exit(1);
}
fs.writeFileSync(file, source.replace(buggy, fixed));
console.log("patch-node-llama-cpp: multi-token draft validation fixed");
