// `npm run bench [-- --workloads FILE] [--out FILE.json] [--model PATH] [--threads N]`
// Runs each workload turn in three modes, interleaved, after a warm-up:
// baseline (no predictor), builtin (node-llama-cpp's InputLookupTokenPredictor)
// and reference (Reprise's predictor with cached past answers).
import fs from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { Engine, type ChatTurn, type Drafting, type EngineChat, type Reply } from "../../electron/engine/engine";
import { defaultModel } from "../../electron/engine/modelCatalog";
import { fetchModel } from "../../electron/engine/modelFetch";
import type { Reference } from "../../electron/engine/referencePredictor";
import { parseWorkloads, type Workload, type WorkloadKind } from "./workloads";

const modes = ["baseline", "builtin", "reference"] as const satisfies readonly Drafting[] | readonly string[];
type Mode = (typeof modes)[number];
const drafting: Record<Mode, Drafting> = { baseline: "off", builtin: "builtin", reference: "reference" };

interface ModeResult {
  tokens: number;
  ms: number;
  tokensPerSecond: number;
  identical: boolean;
  drafted: number;
  accepted: number;
  predictorMs: number;
}

interface TurnResult {
  id: string;
  kind: WorkloadKind;
  turn: number;
  modes: Record<Mode, ModeResult>;
}

const { values: args } = parseArgs({
  options: {
    workloads: { type: "string", default: path.join(import.meta.dirname, "workloads.jsonl") },
    out: { type: "string" },
    model: { type: "string" },
    threads: { type: "string" },
  },
});

const engine = await Engine.load({
  modelPath: args.model ?? (await fetchModel(defaultModel)).path,
  threads: args.threads ? Number(args.threads) : undefined,
});
const workloads = parseWorkloads(await fs.readFile(args.workloads!, "utf8"));
const curve = await engine.costCurve();
console.log(`model ${engine.modelName}, ${engine.threads} threads, ${workloads.length} cases`);
console.log(`cost curve (batch of n tokens / one token; one token = ${curve.singleTokenMs.toFixed(1)} ms):`);
console.log("  " + curve.relative.map((c, i) => `${i + 1}:${c.toFixed(2)}`).join(" "));

function result(reply: Reply, baseline: Reply | undefined): ModeResult {
  const s = reply.stats;
  return {
    tokens: s.tokens,
    ms: s.ms,
    tokensPerSecond: s.tokensPerSecond,
    identical: baseline ? sameTokens(reply.tokens, baseline.tokens) : true,
    drafted: s.drafted,
    accepted: s.accepted,
    predictorMs: s.predictorMs,
  };
}

function sameTokens(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** Generates the seed conversations; their answers become the cached past answers. */
async function seed(workload: Workload): Promise<Reference[]> {
  const references: Reference[] = [];
  for (const [c, conversation] of workload.seed.entries()) {
    const chat = await engine.openChat({ drafting: "off" });
    const turns: ChatTurn[] = [];
    for (const [t, text] of conversation.entries()) {
      turns.push({ role: "user", text });
      const reply = await chat.reply(turns, { maxTokens: workload.maxTokens });
      turns.push({ role: "assistant", text: reply.text });
      references.push({ id: `${workload.id}/seed-${c}-${t}`, tokens: engine.renderTurns(turns.slice(-2)) });
    }
    await chat.dispose();
  }
  return references;
}

// Warm-up: every mode once, so no mode pays for first-use costs inside the measurement.
{
  const warm = [{ role: "user" as const, text: "Say hello." }];
  for (const mode of modes) {
    const chat = await engine.openChat({ drafting: drafting[mode] });
    await chat.reply(warm, { maxTokens: 16 });
    await chat.dispose();
  }
}

const results: TurnResult[] = [];
let rotation = 0;
for (const workload of workloads) {
  const references = await seed(workload);
  const chats = {} as Record<Mode, EngineChat>;
  for (const mode of modes) chats[mode] = await engine.openChat({ drafting: drafting[mode] });
  const turns: ChatTurn[] = [];
  for (const [t, text] of workload.turns.entries()) {
    turns.push({ role: "user", text });
    // Rotate which mode goes first, so a slow start or a warm cache does not always favour the same one.
    const order = modes.map((_, i) => modes[(i + rotation) % modes.length]!);
    rotation++;
    const replies = {} as Record<Mode, Reply>;
    for (const mode of order) {
      replies[mode] = await chats[mode].reply(turns, {
        maxTokens: workload.maxTokens,
        references: mode === "reference" ? references : undefined,
      });
    }
    const turn: TurnResult = {
      id: workload.id,
      kind: workload.kind,
      turn: t,
      modes: {
        baseline: result(replies.baseline, undefined),
        builtin: result(replies.builtin, replies.baseline),
        reference: result(replies.reference, replies.baseline),
      },
    };
    results.push(turn);
    const m = turn.modes;
    console.log(
      `${workload.id.padEnd(20)} t${t} ${String(m.baseline.tokens).padStart(4)} tok  ` +
        modes.map((mode) => `${mode} ${m[mode].tokensPerSecond.toFixed(1).padStart(6)}/s`).join("  ") +
        `  accepted ${m.reference.accepted}/${m.reference.drafted}` +
        (m.builtin.identical && m.reference.identical ? "" : "  NOT IDENTICAL"),
    );
    // Every mode continues from the same history: plain decoding's answer.
    turns.push({ role: "assistant", text: replies.baseline.text });
  }
  for (const mode of modes) await chats[mode].dispose();
}

const kinds = [...new Set(results.map((r) => r.kind))];
const rate = (rows: TurnResult[], mode: Mode) =>
  rows.reduce((n, r) => n + r.modes[mode].tokens, 0) / rows.reduce((ms, r) => ms + r.modes[mode].ms, 0);
const perfectCopy = (curve.relative.length) / curve.relative.at(-1)!;
const summary = {
  identical: results.every((r) => r.modes.builtin.identical && r.modes.reference.identical),
  costCurve: curve.relative,
  singleTokenMs: curve.singleTokenMs,
  predictorShare:
    results.reduce((ms, r) => ms + r.modes.reference.predictorMs, 0) /
    results.reduce((ms, r) => ms + r.modes.reference.ms, 0),
  kinds: Object.fromEntries(
    kinds.map((kind) => {
      const rows = results.filter((r) => r.kind === kind);
      const tokens = rows.reduce((n, r) => n + r.modes.reference.tokens, 0);
      const accepted = rows.reduce((n, r) => n + r.modes.reference.accepted, 0);
      const drafted = rows.reduce((n, r) => n + r.modes.reference.drafted, 0);
      // If every accepted token had come in full-length drafts and the rest one
      // per pass, the time would be: rest + accepted at the curve's best cost per token.
      const copied = accepted / tokens;
      const bound = 1 / (1 - copied + copied / perfectCopy);
      return [
        kind,
        {
          turns: rows.length,
          speedup: {
            builtin: rate(rows, "builtin") / rate(rows, "baseline"),
            reference: rate(rows, "reference") / rate(rows, "baseline"),
          },
          acceptedShare: copied,
          acceptance: drafted > 0 ? accepted / drafted : 0,
          bound,
        },
      ];
    }),
  ),
};

console.log("\nkind         turns  builtin  reference  copied  accepted/drafted  bound");
for (const [kind, k] of Object.entries(summary.kinds))
  console.log(
    `${kind.padEnd(12)} ${String(k.turns).padStart(5)}  ${k.speedup.builtin.toFixed(2).padStart(6)}x  ${k.speedup.reference.toFixed(2).padStart(8)}x  ${(k.acceptedShare * 100).toFixed(0).padStart(5)}%  ${(k.acceptance * 100).toFixed(0).padStart(15)}%  ${k.bound.toFixed(2).padStart(5)}x`,
  );
console.log(`\nidentical to baseline on every turn: ${summary.identical}`);
console.log(`predictor's own work: ${(summary.predictorShare * 100).toFixed(2)}% of reply time`);
console.log(`perfect copying on this curve: ${perfectCopy.toFixed(2)}x at most`);

if (args.out) {
  await fs.writeFile(args.out, JSON.stringify({ cases: results, summary }, null, 2));
  console.log(`written to ${args.out}`);
}
await engine.dispose();
if (!summary.identical) process.exitCode = 1;
