// `npm run bench [-- --workloads FILE] [--out FILE.json] [--model PATH] [--threads N] [--peer LLAMA_SERVER] [--trace FILE.json]`
// Runs each workload turn in three modes, interleaved, after a warm-up:
// baseline (no predictor), builtin (node-llama-cpp's InputLookupTokenPredictor)
// and reference (Reprise's predictor). Every reply goes through the chat
// service and a real SQLite store, as in the app: the reference mode finds the
// cached past answers itself, by searching its store for similar questions.
// Each mode has its own store, and answers the seed conversations itself, as a
// user's earlier conversations were answered: no mode can copy another mode's
// answer to the same turn, and each keeps its seeds' states as the app does
// (a new conversation may start from one, chatCache.ts). A case's documents are
// attached to each mode's conversation, so the rag kind retrieves its passages
// as the app does. With --peer, llama.cpp's own llama-server runs every turn
// too (peer.ts). With --trace, what each reference reply could draw on (its
// prompt, references and tokens) is written for replay.ts.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Token } from "node-llama-cpp";
import { Store } from "../../db/index";
import { systemTurns, toTurns } from "../../electron/chat/history";
import { documentReferences } from "../../electron/chat/passages";
import { pastAnswerReferences } from "../../electron/chat/references";
import { ChatService } from "../../electron/chat/chatService";
import { ModelHost } from "../../electron/chat/modelHost";
import { SettingsStore } from "../../electron/chat/settings";
import type { Drafting } from "../../electron/engine/engine";
import { defaultModel } from "../../electron/engine/modelCatalog";
import { fetchModel } from "../../electron/engine/modelFetch";
import { oracleCosts } from "./copyBound";
import { checkPeerBinary, PeerBench } from "./peer";
import type { Trace, TracedTurn, TraceSources } from "./trace";
import { parseWorkloads, type Workload, type WorkloadKind } from "./workloads";

const modes = ["baseline", "builtin", "reference"] as const;
type Mode = (typeof modes)[number];
const drafting: Record<Mode, Drafting> = { baseline: "off", builtin: "builtin", reference: "reference" };

interface ModeResult {
  tokens: number;
  /** End-to-end time of the reply through the chat service. */
  ms: number;
  /** From the request to the first token: the prompt pass and the service's own work. */
  firstTokenMs: number;
  tokensPerSecond: number;
  /** The same token ids as the baseline's reply. */
  identical: boolean;
  drafted: number;
  accepted: number;
  predictorMs: number;
  /** The engine's own time for the reply (the stats' `ms`), which the badge's speed-up is about. */
  engineMs: number;
  /** The speed-up the reply's badge shows (stats' `speedup`). */
  badgeSpeedup: number | null;
}

interface TurnResult {
  id: string;
  kind: WorkloadKind;
  turn: number;
  modes: Record<Mode, ModeResult>;
  /** Tokens of the reply the oracle drafts from its references (see copyBound). */
  copyable: number;
  /** The oracle's time for this reply: baseline's time to first token, then its fewest-cost passes. */
  oracleMs: number;
  /** The same for an oracle that knows a copy only once the reply has written its first token (see seenRuns). */
  lookupOracleMs: number;
}

interface Reply {
  tokens: readonly Token[];
  result: ModeResult;
}

const { values: args } = parseArgs({
  options: {
    workloads: { type: "string", default: path.join(import.meta.dirname, "workloads.jsonl") },
    out: { type: "string" },
    model: { type: "string" },
    threads: { type: "string" },
    peer: { type: "string" },
    trace: { type: "string" },
  },
});
const peerBinary = args.peer === undefined ? null : checkPeerBinary(args.peer);

const workloads = parseWorkloads(fs.readFileSync(args.workloads!, "utf8"));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-bench-"));
// One model under several services (one per mode), which the app's own composition (openAppService) never builds.
const models = new ModelHost(() => ({ contextSize: 4096, threads: args.threads ? Number(args.threads) : undefined }), "No model");
await models.load(args.model ?? (await fetchModel(defaultModel)).path);
const engine = models.engine();
const curve = await engine.costCurve();

/** One chat service per mode, each on its own store, all on the one loaded model. */
const services = {} as Record<Mode, { service: ChatService; store: Store; settings: SettingsStore }>;
for (const mode of modes) {
  const store = Store.open(path.join(dir, `${mode}.db`));
  const settings = new SettingsStore(null);
  // Greedy, so that every mode's reply can be compared token for token with baseline's.
  settings.update({ samplingPreset: "precise" });
  const service = new ChatService({ store, models, settings, stateDir: path.join(dir, mode, "state"), version: "bench" });
  services[mode] = { service, store, settings };
}

console.log(`model ${engine.modelName}, ${engine.threads} threads, ${workloads.length} cases`);
console.log(`cost curve after ${curve.cachedTokens} cached tokens (batch of n tokens / one token; one token = ${curve.singleTokenMs.toFixed(1)} ms):`);
console.log("  " + curve.relative.map((c, i) => `${i + 1}:${c.toFixed(2)}`).join(" "));
console.log(`after ${curve.deep.cachedTokens} cached tokens (over the same one token):`);
console.log("  " + curve.deep.relative.map((c, i) => `${i + 1}:${c.toFixed(2)}`).join(" "));
console.log(`batches up to ${curve.exactBatch} tokens evaluate bit-identically to one token at a time: drafts are at most ${curve.exactBatch - 1} long`);

async function send(mode: Mode, conversationId: string, text: string): Promise<Reply> {
  const started = performance.now();
  const { end, stats, tokens } = await services[mode].service.benchReply({ conversationId, text, drafting: drafting[mode] });
  const ms = performance.now() - started;
  if (end.type !== "done" || !stats || !tokens) throw new Error(`${mode} reply failed: ${end.type === "error" ? end.message : end.type}`);
  if (stats.firstTokenMs === undefined) throw new Error(`${mode} reply has no time to first token`);
  return {
    tokens,
    result: {
      tokens: stats.tokens,
      ms,
      firstTokenMs: stats.firstTokenMs,
      tokensPerSecond: stats.tokens / (ms / 1000),
      identical: true,
      drafted: stats.drafted,
      accepted: stats.accepted,
      predictorMs: stats.predictorMs ?? 0,
      engineMs: stats.ms,
      badgeSpeedup: stats.speedup ?? null,
    },
  };
}

function sameTokens(a: readonly Token[], b: readonly Token[]): boolean {
  return a.length === b.length && a.every((token, i) => token === b[i]);
}

/** Seed replies of a mode that differ from baseline's, which would leave that mode other past answers to copy. */
const seedsDiffering: { seed: string; mode: "builtin" | "reference" }[] = [];

/** Has every mode answer the seed conversations, each in its own store. */
async function seed(workload: Workload): Promise<void> {
  for (const [c, conversation] of workload.seed.entries()) {
    const ids = {} as Record<Mode, string>;
    for (const mode of modes) ids[mode] = (await services[mode].service.createConversation({ title: `${workload.id} seed` })).id;
    for (const [t, text] of conversation.entries()) {
      const replies = {} as Record<Mode, Reply>;
      for (const mode of modes) replies[mode] = await send(mode, ids[mode], text);
      for (const mode of ["builtin", "reference"] as const) {
        if (!sameTokens(replies[mode].tokens, replies.baseline.tokens)) seedsDiffering.push({ seed: `${workload.id} seed ${c} t${t}`, mode });
      }
    }
  }
}

// Warm-up: every mode once, so no mode pays for first-use costs inside the measurement.
for (const mode of modes) {
  services[mode].settings.update({ maxTokens: 16 });
  const { id } = await services[mode].service.createConversation({ title: "warm-up" });
  await send(mode, id, "Say hello.");
}
const peer = peerBinary ? await PeerBench.start(peerBinary, engine, services.baseline.settings.get().systemPrompt, dir) : null;
await peer?.warmUp();

/**
 * What the reply just written in `conversationId` could have copied, from the
 * sources the reference mode had: the prompt as the model read it (the
 * conversation so far in its chat template), the past answers the chat
 * service retrieves for the question, and the reply's own earlier tokens.
 * The oracle's time prices the fewest-cost passes on the calibrated curve at
 * the baseline's measured time per token.
 */
async function copyOracle(
  conversationId: string,
  baseline: ModeResult,
): Promise<{ copyable: number; oracleMs: number; lookupOracleMs: number; sources: TraceSources }> {
  const { store, settings } = services.reference;
  const messages = await messagesAsRead("reference", conversationId);
  const answer = messages.at(-1)!;
  const question = messages.at(-2)!;
  const { systemPrompt, similarAnswers } = settings.get();
  const prompt = engine.renderTurns([...systemTurns(systemPrompt), ...toTurns(messages.slice(0, -1))]);
  const references = [
    ...pastAnswerReferences(store, engine, question.content, conversationId, similarAnswers),
    ...documentReferences(store, engine, store.messageSources(question.id)),
  ];
  const { cost, drafted, lookupCost } = oracleCosts(engine.tokenize(answer.content), prompt, references.map((r) => r.tokens), curve);
  const perToken = (baseline.ms - baseline.firstTokenMs) / Math.max(1, baseline.tokens - 1);
  return {
    copyable: drafted,
    oracleMs: baseline.firstTokenMs + cost * perToken,
    lookupOracleMs: baseline.firstTokenMs + lookupCost * perToken,
    sources: { prompt, references: references.map((r) => ({ id: r.id, tokens: [...r.tokens] })) },
  };
}

/** A conversation's messages, its questions with the passages of their sources, as the model read them. */
async function messagesAsRead(mode: Mode, conversationId: string) {
  const { service, store } = services[mode];
  const { messages } = await service.getConversation({ conversationId });
  return messages.map((m) => (m.role === "user" ? { ...m, sources: store.messageSources(m.id) } : m));
}

/** A new conversation for `workload` in each of `which`, the case's documents attached to it. */
async function openCase<M extends Mode>(workload: Workload, which: readonly M[], title: string): Promise<Record<M, string>> {
  const conversations = {} as Record<M, string>;
  for (const mode of which) {
    const { service } = services[mode];
    const { id } = await service.createConversation({ title });
    for (const document of workload.documents) {
      const contentBase64 = Buffer.from(document.text).toString("base64");
      await service.attachDocument({ conversationId: id, name: document.name, mediaType: "text/plain", contentBase64 });
    }
    conversations[mode] = id;
  }
  return conversations;
}

const results: TurnResult[] = [];
const trace: TracedTurn[] = [];
let rotation = 0;
for (const workload of workloads) {
  for (const mode of modes) services[mode].settings.update({ maxTokens: workload.maxTokens });
  await seed(workload);
  await peer?.startCase(workload);
  const conversations = await openCase(workload, modes, workload.id);
  for (const [t, text] of workload.turns.entries()) {
    // Rotate which mode goes first, so a slow start or a warm cache does not always favour the same one.
    const order = modes.map((_, i) => modes[(i + rotation) % modes.length]!);
    rotation++;
    const replies = {} as Record<Mode, Reply>;
    for (const mode of order) replies[mode] = await send(mode, conversations[mode], text);
    for (const mode of ["builtin", "reference"] as const) {
      replies[mode].result.identical = sameTokens(replies[mode].tokens, replies.baseline.tokens);
    }
    const { sources, ...oracle } = await copyOracle(conversations.reference, replies.baseline.result);
    const turn: TurnResult = {
      id: workload.id,
      kind: workload.kind,
      turn: t,
      modes: { baseline: replies.baseline.result, builtin: replies.builtin.result, reference: replies.reference.result },
      ...oracle,
    };
    results.push(turn);
    trace.push({
      id: workload.id,
      kind: workload.kind,
      turn: t,
      conversation: conversations.reference,
      maxTokens: workload.maxTokens,
      ...sources,
      reply: [...replies.baseline.tokens],
    });
    const m = turn.modes;
    console.log(
      `${workload.id.padEnd(20)} t${t} ${String(m.baseline.tokens).padStart(4)} tok  ` +
        modes.map((mode) => `${mode} ${m[mode].tokensPerSecond.toFixed(1).padStart(6)}/s`).join("  ") +
        `  accepted ${m.reference.accepted}/${m.reference.drafted}` +
        (["builtin", "reference"] as const)
          .filter((mode) => !m[mode].identical)
          .map((mode) => `  ${mode} NOT IDENTICAL`)
          .join(""),
    );
    if (peer) {
      const [question] = toTurns((await messagesAsRead("baseline", conversations.baseline)).slice(-2, -1));
      await peer.turn({ id: workload.id, kind: workload.kind, turn: t, reprise: turn.modes }, question!.text, workload.maxTokens, replies.baseline.tokens);
    }
  }
}
const kinds = [...new Set(results.map((r) => r.kind))];
const rate = (rows: TurnResult[], mode: Mode) =>
  rows.reduce((n, r) => n + r.modes[mode].tokens, 0) / rows.reduce((ms, r) => ms + r.modes[mode].ms, 0);
/** The best tokens per single-token time the calibrated curve allows within the exact batch. */
const bestThroughput = Math.max(...curve.relative.slice(0, curve.exactBatch).map((relative, i) => (i + 1) / relative));
/**
 * The most any drafting could gain here, were every token copyable: each
 * baseline reply's time to its first token (the prompt pass, the service) is
 * what drafting cannot touch; the rest, decoding, could at best run at the
 * curve's best throughput, as if every draft were as long as pays and fully
 * accepted.
 */
function ceiling(rows: TurnResult[]): number {
  const baseline = sum(rows, (r) => r.modes.baseline.ms);
  const ideal = sum(rows, (r) => {
    const { ms, firstTokenMs } = r.modes.baseline;
    return firstTokenMs + (ms - firstTokenMs) / bestThroughput;
  });
  return baseline / ideal;
}
const sum = (rows: TurnResult[], f: (r: TurnResult) => number) => rows.reduce((n, r) => n + f(r), 0);
const summary = {
  // Reprise's promise is about its own predictor; node-llama-cpp's is reported beside it.
  identical: results.every((r) => r.modes.reference.identical) && !seedsDiffering.some((seed) => seed.mode === "reference"),
  builtinIdentical: results.every((r) => r.modes.builtin.identical),
  costCurve: curve.relative,
  singleTokenMs: curve.singleTokenMs,
  exactBatch: curve.exactBatch,
  bestThroughput,
  predictorShare:
    results.reduce((ms, r) => ms + r.modes.reference.predictorMs, 0) /
    results.reduce((ms, r) => ms + r.modes.reference.ms, 0),
  kinds: Object.fromEntries(
    kinds.map((kind) => {
      const rows = results.filter((r) => r.kind === kind);
      const tokens = rows.reduce((n, r) => n + r.modes.reference.tokens, 0);
      const accepted = rows.reduce((n, r) => n + r.modes.reference.accepted, 0);
      const drafted = rows.reduce((n, r) => n + r.modes.reference.drafted, 0);
      const copied = accepted / tokens;
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
          copyableShare: sum(rows, (r) => r.copyable) / tokens,
          copyBound: sum(rows, (r) => r.modes.baseline.ms) / sum(rows, (r) => r.oracleMs),
          lookupBound: sum(rows, (r) => r.modes.baseline.ms) / sum(rows, (r) => r.lookupOracleMs),
          ceiling: ceiling(rows),
        },
      ];
    }),
  ),
};

console.log("\nkind         turns  builtin  reference  copied  copyable  accepted/drafted  copy bound  lookup bound  ceiling");
for (const [kind, k] of Object.entries(summary.kinds))
  console.log(
    `${kind.padEnd(12)} ${String(k.turns).padStart(5)}  ${k.speedup.builtin.toFixed(2).padStart(6)}x  ${k.speedup.reference.toFixed(2).padStart(8)}x` +
      `  ${(k.acceptedShare * 100).toFixed(0).padStart(5)}%  ${(k.copyableShare * 100).toFixed(0).padStart(7)}%  ${(k.acceptance * 100).toFixed(0).padStart(15)}%` +
      `  ${k.copyBound.toFixed(2).padStart(9)}x  ${k.lookupBound.toFixed(2).padStart(11)}x  ${k.ceiling.toFixed(2).padStart(6)}x`,
  );
console.log(`\nseed replies identical to baseline's in every mode: ${seedsDiffering.length === 0 ? "true" : seedsDiffering.map((s) => `${s.seed} ${s.mode}`).join(", ")}`);
console.log(`reference identical to baseline on every turn: ${summary.identical}`);
console.log(`builtin identical to baseline on every turn: ${summary.builtinIdentical}`);
console.log(`predictor's own work: ${(summary.predictorShare * 100).toFixed(2)}% of reply time`);
console.log(
  "copy bound: an oracle that drafts exactly the runs the reply shares with its prompt, past answers and own earlier tokens, " +
    "each pass priced by the cost curve at the prompt's depth, after baseline's time to first token",
);
console.log(
  "lookup bound: the same oracle knowing each copy only once the reply has written its first token, " +
    "as a drafter that copies from where the reply's tail occurs must",
);
console.log(
  `ceiling: baseline's time to first token as measured, the rest at the curve's best throughput within the exact batch ` +
    `(${bestThroughput.toFixed(2)} tokens per one-token time), as if every token were copyable`,
);

/**
 * The badge's speed-up against the measured one: reference's engine time beside baseline's for the
 * same reply (identical tokens), per turn.
 */
const badgeErrors = results.flatMap((r) => {
  const { baseline, reference } = r.modes;
  if (reference.badgeSpeedup === null || !reference.identical) return [];
  const measured = baseline.engineMs / reference.engineMs;
  return [{ id: r.id, turn: r.turn, badge: reference.badgeSpeedup, measured, error: reference.badgeSpeedup / measured - 1 }];
});
const meanAbs = badgeErrors.reduce((n, e) => n + Math.abs(e.error), 0) / Math.max(1, badgeErrors.length);
const within20 = badgeErrors.filter((e) => Math.abs(e.error) <= 0.2).length;
/** The plain time the badges estimate for all these replies, over baseline's measured time for them. */
const estimatedOverMeasured =
  sum(results, (r) => (r.modes.reference.badgeSpeedup ?? 1) * r.modes.reference.engineMs) / sum(results, (r) => r.modes.baseline.engineMs);
console.log(
  `\nbadge speed-up against the measured time ratio (baseline's engine time over reference's, same tokens), ${badgeErrors.length} turns: ` +
    `mean error ${(meanAbs * 100).toFixed(1)}%, within 20% on ${within20}; plain time the badges estimate over baseline's measured, ` +
    `all turns: ${estimatedOverMeasured.toFixed(2)}`,
);
for (const e of badgeErrors.filter((x) => Math.abs(x.error) > 0.2))
  console.log(`  ${e.id} t${e.turn}: badge ${e.badge.toFixed(2)}x, measured ${e.measured.toFixed(2)}x`);

if (args.trace) {
  const file: Trace = { costCurve: curve, turns: trace };
  fs.writeFileSync(args.trace, JSON.stringify(file));
  console.log(`trace written to ${args.trace}`);
}
const peerResults = await peer?.finish();
const sampled = await sampledRun(0.7);

if (args.out) {
  fs.writeFileSync(args.out, JSON.stringify({ cases: results, summary, badgeErrors, sampled, peer: peerResults }, null, 2));
  console.log(`written to ${args.out}`);
}
/**
 * Every workload again with sampling at `temperature` (top-k 40, top-p 0.95, min-p 0.05), baseline
 * and reference only: the replies differ from draw to draw, so what is compared is tokens per second
 * and how many drafted tokens the sampled positions kept.
 */
async function sampledRun(temperature: number) {
  const sampledModes = ["baseline", "reference"] as const;
  for (const mode of sampledModes) {
    services[mode].settings.update({ samplingPreset: "custom", temperature, topK: 40, topP: 0.95, minP: 0.05 });
  }
  const rows: { kind: WorkloadKind; modes: Record<(typeof sampledModes)[number], ModeResult> }[] = [];
  for (const workload of workloads) {
    for (const mode of sampledModes) services[mode].settings.update({ maxTokens: workload.maxTokens });
    const conversations = await openCase(workload, sampledModes, `${workload.id} sampled`);
    for (const [t, text] of workload.turns.entries()) {
      const order = t % 2 === 0 ? sampledModes : ([...sampledModes].reverse() as typeof sampledModes[number][]);
      const replies = {} as Record<(typeof sampledModes)[number], ModeResult>;
      for (const mode of order) replies[mode] = (await send(mode, conversations[mode], text)).result;
      rows.push({ kind: workload.kind, modes: replies });
    }
  }
  const perKind = Object.fromEntries(
    kinds.map((kind) => {
      const of = rows.filter((r) => r.kind === kind);
      const tps = (mode: (typeof sampledModes)[number]) =>
        of.reduce((n, r) => n + r.modes[mode].tokens, 0) / of.reduce((ms, r) => ms + r.modes[mode].ms, 0);
      const drafted = of.reduce((n, r) => n + r.modes.reference.drafted, 0);
      const accepted = of.reduce((n, r) => n + r.modes.reference.accepted, 0);
      return [kind, { speedup: tps("reference") / tps("baseline"), acceptance: drafted > 0 ? accepted / drafted : 0, accepted, drafted }];
    }),
  );
  console.log(`\nsampled run, temperature ${temperature}: reference over baseline in tokens/s, and drafted tokens kept`);
  for (const [kind, k] of Object.entries(perKind))
    console.log(`${kind.padEnd(12)} ${k.speedup.toFixed(2).padStart(6)}x  accepted ${k.accepted}/${k.drafted} (${(k.acceptance * 100).toFixed(0)}%)`);
  return perKind;
}

// Closing a service releases the shared model too, so each closes in turn and the model goes once.
for (const mode of modes) {
  await services[mode].service.close();
  services[mode].store.close();
}
fs.rmSync(dir, { recursive: true, force: true });
if (!summary.identical) process.exitCode = 1;
