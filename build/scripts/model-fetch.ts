// `npm run model:fetch`: puts the test models in the per-user cache and prints their paths, the
// default (chat) model first.
import { testModels } from "../../electron/engine/modelCatalog";
import { fetchModel, type FetchProgress } from "../../electron/engine/modelFetch";

const tty = process.stderr.isTTY;

function bar({ source, doneBytes, totalBytes }: FetchProgress): void {
  if (!tty) return;
  const fraction = totalBytes > 0 ? Math.min(1, doneBytes / totalBytes) : 0;
  const width = 30;
  const filled = Math.round(fraction * width);
  const mb = (n: number) => (n / 1e6).toFixed(0);
  process.stderr.write(
    `\r${source} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${mb(doneBytes)}/${mb(totalBytes)} MB`,
  );
}

try {
  for (const model of testModels) {
    const fetched = await fetchModel(model, {
      onSource: (source) => process.stderr.write(`${tty ? "\n" : ""}Trying ${source}\n`),
      onProgress: bar,
    });
    if (tty && fetched.source !== "cache") process.stderr.write("\n");
    process.stdout.write(`${fetched.path}\n`);
  }
} catch (error) {
  process.stderr.write(`\n${(error as Error).message}\n`);
  process.exit(1);
}
