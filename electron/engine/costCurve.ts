import fs from "node:fs/promises";
import path from "node:path";
import type { LlamaModel, Token } from "node-llama-cpp";
import { maxDraftLength, type CostCurve } from "./draftPolicy";

const rounds = 5;
const warmupText =
  "The quick brown fox jumps over the lazy dog. A journey of a thousand miles begins with a single step. " +
  "All that glitters is not gold. Where there is a will there is a way. Actions speak louder than words. " +
  "The pen is mightier than the sword. When in Rome, do as the Romans do. Practice makes perfect.";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Times the evaluation of batches of 1 to maxDraftLength + 1 tokens, each with
 * the output of every position sampled, as a verification step does. Sizes
 * are interleaved over several rounds so that a burst of load elsewhere on the
 * machine spreads over all of them instead of skewing one.
 */
export async function measureCostCurve(model: LlamaModel, threads: number): Promise<CostCurve> {
  const context = await model.createContext({ contextSize: 512, threads, swaFullCache: true });
  try {
    const sequence = context.getSequence();
    const prompt = model.tokenize(warmupText);
    await sequence.evaluateWithoutGeneratingNewTokens(prompt);
    const start = sequence.nextTokenIndex;
    const samples: number[][] = Array.from({ length: maxDraftLength + 1 }, () => []);
    for (let round = 0; round <= rounds; round++) {
      for (let n = 1; n <= maxDraftLength + 1; n++) {
        const batch: Token[] = prompt.slice(0, n);
        const started = performance.now();
        await sequence.controlledEvaluate(batch.map((token) => [token, { generateNext: { token: true } }]));
        const ms = performance.now() - started;
        await sequence.eraseContextTokenRanges([{ start, end: sequence.nextTokenIndex }]);
        // Round 0 warms caches and is not counted.
        if (round > 0) samples[n - 1]!.push(ms);
      }
    }
    const medians = samples.map(median);
    const single = medians[0]!;
    // A larger batch never costs less than a smaller one; a dip is noise.
    let floor = 1;
    const relative = medians.map((ms) => (floor = Math.max(floor, ms / single)));
    return { relative, singleTokenMs: single };
  } finally {
    await context.dispose();
  }
}

/**
 * The cost curve of a model on this machine, measured once and kept in
 * `cacheDir`: it depends on the model file, the thread count and the hardware,
 * none of which change between runs.
 */
export async function loadCostCurve(
  model: LlamaModel,
  modelPath: string,
  threads: number,
  cacheDir: string,
): Promise<CostCurve> {
  const { size } = await fs.stat(modelPath);
  const file = path.join(cacheDir, `${path.basename(modelPath)}.${size}.${threads}t.cost.json`);
  const cached = await fs.readFile(file, "utf8").then(
    (text) => JSON.parse(text) as CostCurve,
    () => undefined,
  );
  if (cached?.relative?.length === maxDraftLength + 1) return cached;
  const curve = await measureCostCurve(model, threads);
  await fs.mkdir(cacheDir, { recursive: true });
  await fs.writeFile(file, JSON.stringify(curve));
  return curve;
}
