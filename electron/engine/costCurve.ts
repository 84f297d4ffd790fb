import fs from "node:fs/promises";
import path from "node:path";
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { maxDraftLength, type CostCurve } from "./draftPolicy";

/** Bumped whenever what is measured changes, so older cached curves are measured again. */
const curveVersion = 3;
const rounds = 3;
const repeats = 2;
const calibrationText =
  "The quick brown fox jumps over the lazy dog. A journey of a thousand miles begins with a single step. " +
  "All that glitters is not gold. Where there is a will there is a way. Actions speak louder than words. " +
  "The pen is mightier than the sword. When in Rome, do as the Romans do. Practice makes perfect.";


type Prediction = { token: Token; probability: number };

/** Evaluates `tokens` in batches of `batch`, returning the model's top choice after each one. */
export async function predictions(sequence: LlamaContextSequence, tokens: Token[], batch: number): Promise<Prediction[]> {
  const start = sequence.nextTokenIndex;
  const out: Prediction[] = [];
  for (let i = 0; i < tokens.length; i += batch) {
    const results = await sequence.controlledEvaluate(
      tokens.slice(i, i + batch).map((token) => [token, { generateNext: { token: true, probabilities: true } }]),
    );
    for (const result of results) {
      const top = [...(result?.next?.probabilities ?? new Map<Token, number>()).entries()][0];
      out.push({ token: result!.next!.token!, probability: top?.[1] ?? Number.NaN });
    }
  }
  await sequence.eraseContextTokenRanges([{ start, end: sequence.nextTokenIndex }]);
  return out;
}

/**
 * The largest batch whose every row comes out bit-identical to evaluating the
 * same tokens one at a time. llama.cpp's CPU kernels switch to a blocked
 * matrix-multiply path for larger batches (on x86 with repacked K-quants, from
 * 4 rows on), which rounds differently: a draft verified in such a batch can
 * pick another token than plain decoding where two candidates are nearly tied.
 */
async function exactBatchLimit(sequence: LlamaContextSequence, tokens: Token[]): Promise<number> {
  const reference = await predictions(sequence, tokens, 1);
  for (let batch = 2; batch <= maxDraftLength + 1; batch++) {
    const batched = await predictions(sequence, tokens, batch);
    const same = batched.every(
      (p, i) => p.token === reference[i]!.token && Object.is(p.probability, reference[i]!.probability),
    );
    if (!same) return batch - 1;
  }
  return maxDraftLength + 1;
}

/**
 * Times the evaluation of batches of 1 to maxDraftLength + 1 tokens, each with
 * the output of every position sampled, as a verification step does. Each
 * size runs a few times in a row (llama.cpp reuses its graph for a repeated
 * shape, as in generation) and sizes are interleaved over several rounds, so
 * that a burst of load elsewhere on the machine cannot skew one size alone.
 */
export async function measureCostCurve(model: LlamaModel, threads: number): Promise<CostCurve> {
  const context = await model.createContext({ contextSize: 512, threads, swaFullCache: true });
  try {
    const sequence = context.getSequence();
    const tokens = model.tokenize(calibrationText);
    const prompt = tokens.slice(0, 24);
    const probe = tokens.slice(24);
    await sequence.evaluateWithoutGeneratingNewTokens(prompt);
    const start = sequence.nextTokenIndex;
    const samples: number[][] = Array.from({ length: maxDraftLength + 1 }, () => []);
    for (let round = 0; round <= rounds; round++) {
      for (let n = 1; n <= maxDraftLength + 1; n++) {
        for (let repeat = 0; repeat <= repeats; repeat++) {
          const started = performance.now();
          await sequence.controlledEvaluate(probe.slice(0, n).map((token) => [token, { generateNext: { token: true } }]));
          const ms = performance.now() - started;
          await sequence.eraseContextTokenRanges([{ start, end: sequence.nextTokenIndex }]);
          // Round 0 and each size's first run warm caches and build the graph; they are not counted.
          if (round > 0 && repeat > 0) samples[n - 1]!.push(ms);
        }
      }
    }
    // Load elsewhere on the machine only ever adds time, so the fastest run of
    // each size is the closest to what evaluation itself costs.
    const fastest = samples.map((ms) => Math.min(...ms));
    const single = fastest[0]!;
    // A larger batch never costs less than a smaller one; a dip is noise.
    let floor = 1;
    const relative = fastest.map((ms) => (floor = Math.max(floor, ms / single)));
    const exactBatch = await exactBatchLimit(sequence, probe);
    return { relative, singleTokenMs: single, exactBatch };
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
  const file = path.join(cacheDir, `${path.basename(modelPath)}.${size}.${threads}t.cost-v${curveVersion}.json`);
  const cached = await fs.readFile(file, "utf8").then(
    (text) => JSON.parse(text) as CostCurve,
    () => undefined,
  );
  if (cached?.relative?.length === maxDraftLength + 1 && typeof cached.exactBatch === "number") return cached;
  const curve = await measureCostCurve(model, threads);
  await fs.mkdir(cacheDir, { recursive: true });
  await fs.writeFile(file, JSON.stringify(curve));
  return curve;
}
