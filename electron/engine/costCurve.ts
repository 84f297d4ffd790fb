import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { Llama, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { array, number, object } from "../api/schema";
import { maxDraftLength, type CostCurve } from "./draftPolicy";

/** Bumped whenever what is measured changes, so older cached curves are measured again. */
const curveVersion = 8;
const rounds = 2;
const repeats = 1;
const calibrationText =
  "The quick brown fox jumps over the lazy dog. A journey of a thousand miles begins with a single step. " +
  "All that glitters is not gold. Where there is a will there is a way. Actions speak louder than words. " +
  "The pen is mightier than the sword. When in Rome, do as the Romans do. Practice makes perfect. " +
  "Better late than never. Every cloud has a silver lining. Fortune favours the bold. Time flies like an arrow.";

type Prediction = { token: Token; probability: number };

/**
 * Evaluates `tokens` in batches of `batch`, returning the model's top choice
 * after each one, with its probability where `weighed(row, rows)` says so
 * (the probability costs a softmax over the whole vocabulary; NaN elsewhere).
 */
export async function predictions(
  sequence: LlamaContextSequence,
  tokens: Token[],
  batch: number,
  weighed: (row: number, rows: number) => boolean = () => true,
): Promise<Prediction[]> {
  const start = sequence.nextTokenIndex;
  const out: Prediction[] = [];
  for (let i = 0; i < tokens.length; i += batch) {
    const rows = tokens.slice(i, i + batch);
    const results = await sequence.controlledEvaluate(
      rows.map((token, row) => [token, { generateNext: { token: true, confidence: weighed(row, rows.length) } }]),
    );
    for (const result of results) out.push({ token: result!.next!.token!, probability: result!.next!.confidence ?? Number.NaN });
  }
  await sequence.eraseContextTokenRanges([{ start, end: sequence.nextTokenIndex }]);
  return out;
}

/**
 * The largest batch whose rows come out bit-identical to evaluating the same
 * tokens one at a time: llama.cpp's prebuilt CPU binaries switch to a blocked
 * matrix-multiply path on repacked weights from 4 rows on, and split one
 * token's attention across threads once 512 tokens are cached, and either
 * rounds differently; a draft verified in such a batch can pick another token
 * than plain decoding where two candidates are nearly tied. Each size is
 * checked with one batch: every row's token, and the probability of its first
 * and last rows bit for bit (a blocked kernel's rounding shows in every row
 * it handles, and between them a batch's first and last rows meet every
 * kernel the batch uses).
 */
async function exactBatchLimit(sequence: LlamaContextSequence, probe: Token[]): Promise<number> {
  const reference = await predictions(sequence, probe.slice(0, maxDraftLength + 1), 1);
  const ends = (row: number, rows: number) => row === 0 || row === rows - 1;
  for (let batch = 2; batch <= maxDraftLength + 1; batch++) {
    const batched = await predictions(sequence, probe.slice(0, batch), batch, ends);
    const same = batched.every(
      (p, i) =>
        p.token === reference[i]!.token &&
        (Number.isNaN(p.probability) || Object.is(p.probability, reference[i]!.probability)),
    );
    if (!same) return batch - 1;
  }
  return maxDraftLength + 1;
}

/**
 * Exactness is checked a second time after this many tokens of context: from
 * 512 cached tokens on, llama.cpp's CPU flash attention can take another path
 * for a single token (split across threads) than for a batch.
 */
const deepContext = 600;

/**
 * `length` tokens drawn from `tokens` in a fixed pseudo-random order: text the
 * model cannot predict, so that its probabilities stay far from 1, where a
 * rounding difference could hide.
 */
function scrambled(tokens: Token[], length: number): Token[] {
  let state = 12345;
  return Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return tokens[state % tokens.length]!;
  });
}

/**
 * Every batch size a draft can take is timed: the kernels' costs rise in
 * uneven steps (4 tokens cost barely more than 2, 5 much more than 4), so a
 * size priced from its neighbours would steer drafts to the wrong lengths.
 */
const timedSizes = Array.from({ length: maxDraftLength + 1 }, (_, i) => i + 1);
/**
 * Deep in the cache only these sizes are timed: what the cache adds to a batch is its attention,
 * which grows evenly with the batch, so the sizes between are priced from these.
 */
const deepTimedSizes = [1, 2, 4, 8, 16, maxDraftLength + 1];

/**
 * The fastest time of each of `sizes` as a batch of `probe`'s first tokens after what the sequence
 * holds, each with the output of every position sampled, as a verification step does. Each size
 * runs a few times in a row (llama.cpp reuses its graph for a repeated shape, as in generation) and
 * sizes are interleaved over several rounds with a single token between them, so that a burst of
 * load elsewhere on the machine cannot skew one size alone.
 */
async function fastestTimes(sequence: LlamaContextSequence, probe: Token[], sizes: readonly number[]): Promise<Map<number, number>> {
  const start = sequence.nextTokenIndex;
  const time = async (n: number): Promise<number> => {
    const started = performance.now();
    await sequence.controlledEvaluate(probe.slice(0, n).map((token) => [token, { generateNext: { token: true } }]));
    const ms = performance.now() - started;
    await sequence.eraseContextTokenRanges([{ start, end: sequence.nextTokenIndex }]);
    return ms;
  };
  const samples = new Map<number, number[]>([1, ...sizes].map((n) => [n, []]));
  for (let round = 0; round <= rounds; round++) {
    for (const n of sizes) {
      for (let repeat = 0; repeat <= repeats; repeat++) {
        const ms = await time(n);
        // Round 0 and each size's first run warm caches and build the graph; they are not counted.
        if (round > 0 && repeat > 0) samples.get(n)!.push(ms);
      }
      // Every size is priced in single-token times, so the single token is
      // timed after each size too: a slow spell cannot inflate it alone.
      if (round > 0) samples.get(1)!.push(await time(1));
    }
  }
  // Load elsewhere on the machine only ever adds time, so the fastest run of
  // each size is the closest to what evaluation itself costs.
  return new Map([...samples].map(([n, ms]) => [n, Math.min(...ms)]));
}

/**
 * `ms` over `single` by batch size, made non-decreasing: a larger batch never costs less than a
 * smaller one, so a size that timed slower than a larger one was slowed by load and costs at most
 * what the larger one did.
 */
function relativeCurve(ms: (n: number) => number, single: number): number[] {
  let ceiling = Infinity;
  return timedSizes
    .toReversed()
    .map((n) => (ceiling = Math.min(ceiling, Math.max(1, ms(n) / single))))
    .reverse();
}

/** `at`'s values at the sizes it holds, joined by lines between them. */
function interpolated(at: ReadonlyMap<number, number>, n: number): number {
  const sizes = [...at.keys()].sort((a, b) => a - b);
  const above = sizes.find((size) => size >= n) ?? sizes.at(-1)!;
  const below = sizes.findLast((size) => size <= n) ?? sizes[0]!;
  if (above === below) return at.get(above)!;
  return at.get(below)! + ((at.get(above)! - at.get(below)!) * (n - below)) / (above - below);
}

/**
 * Times batches of up to maxDraftLength + 1 tokens after a short prompt and again deep in the cache
 * (see CostCurve), and finds the largest batch that evaluates exactly at both depths.
 */
export async function measureCostCurve(model: LlamaModel, threads: number): Promise<CostCurve> {
  const context = await model.createContext({ contextSize: 1024, threads, swaFullCache: true });
  try {
    const sequence = context.getSequence();
    const tokens = model.tokenize(calibrationText);
    const prompt = tokens.slice(0, 24);
    const probe = tokens.slice(24);
    // A shorter probe would time and check smaller batches than it says.
    if (probe.length < maxDraftLength + 1) throw new Error("The calibration text is too short for the largest draft");
    await sequence.evaluateWithoutGeneratingNewTokens(prompt);
    const shallowMs = await fastestTimes(sequence, probe, timedSizes);
    const single = shallowMs.get(1)!;
    const relative = relativeCurve((n) => shallowMs.get(n)!, single);
    const shallow = await exactBatchLimit(sequence, probe);
    await sequence.eraseContextTokenRanges([{ start: 0, end: sequence.nextTokenIndex }]);
    const deep = scrambled(tokens, deepContext + maxDraftLength + 1);
    await sequence.evaluateWithoutGeneratingNewTokens(deep.slice(0, deepContext));
    const deepMs = await fastestTimes(sequence, deep.slice(deepContext), deepTimedSizes);
    // What the cache adds to each timed size, over the shallow curve's price of that size.
    const added = new Map(deepTimedSizes.map((n) => [n, Math.max(0, deepMs.get(n)! - relative[n - 1]! * single)]));
    const deepRelative = relativeCurve((n) => relative[n - 1]! * single + interpolated(added, n), single);
    const exactBatch = Math.min(shallow, await exactBatchLimit(sequence, deep.slice(deepContext)));
    return {
      relative,
      singleTokenMs: single,
      cachedTokens: prompt.length,
      deep: { cachedTokens: deepContext, relative: deepRelative },
      exactBatch,
    };
  } finally {
    await context.dispose();
  }
}

/**
 * Where a curve is kept. Everything it depends on is in the name, the
 * llama.cpp binary down to its release and build options: a curve measured
 * on another build could allow drafts longer than this one evaluates exactly.
 */
export function costCurveFileName(
  modelFile: string,
  size: number,
  threads: number,
  binary: Pick<Llama, "buildType" | "gpu" | "cmakeOptions" | "llamaCppRelease">,
): string {
  const build = createHash("sha256")
    .update(JSON.stringify([binary.llamaCppRelease.release, Object.entries(binary.cmakeOptions).sort()]))
    .digest("hex")
    .slice(0, 12);
  return `${modelFile}.${size}.${threads}t.${binary.buildType}-${binary.gpu || "cpu"}-${build}.cost-v${curveVersion}.json`;
}

const relativeCosts = array(number({ min: 1 }), { min: maxDraftLength + 1, max: maxDraftLength + 1 });
const costCurveFile = object({
  relative: relativeCosts,
  singleTokenMs: number({ min: 0 }),
  cachedTokens: number({ min: 0, integer: true }),
  deep: object({ cachedTokens: number({ min: 1, integer: true }), relative: relativeCosts }),
  exactBatch: number({ min: 1, max: maxDraftLength + 1, integer: true }),
});

/** A kept curve file's curve, or undefined for a damaged one or one of another shape: it is measured again. */
export function parseCostCurve(text: string): CostCurve | undefined {
  try {
    const curve = costCurveFile.parse(JSON.parse(text), { path: "cost curve" });
    return curve.deep.cachedTokens > curve.cachedTokens ? curve : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where the cost curve of `model` (the file `modelPath`) at `threads` is kept in `cacheDir`: it
 * depends on the model file, the thread count, the llama.cpp binary (prebuilt or Reprise's own
 * build, CPU or GPU) and the hardware, none of which change between runs.
 */
export async function costCurvePath(model: LlamaModel, modelPath: string, threads: number, cacheDir: string): Promise<string> {
  const { size } = await fs.stat(modelPath);
  return path.join(cacheDir, costCurveFileName(path.basename(modelPath), size, threads, model.llama));
}

/** The cost curve of a model on this machine, measured once and kept in `file` (see `costCurvePath`). */
export async function loadCostCurve(model: LlamaModel, threads: number, file: string): Promise<CostCurve> {
  const cached = await fs.readFile(file, "utf8").then(parseCostCurve, () => undefined);
  if (cached) return cached;
  const curve = await measureCostCurve(model, threads);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, JSON.stringify(curve));
  return curve;
}
