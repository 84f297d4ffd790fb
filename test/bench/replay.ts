// `npx tsx test/bench/replay.ts TRACE.json`
// Replays a bench trace (`npm run bench -- --trace FILE`) through Reprise's
// predictor without the model: the replies are known, so each draft's fate is
// too. Every pass is priced by the trace's cost curve, as the copy oracle's
// are, which makes the two comparable: what the predictor reaches of the copy
// bound, apart from the per-pass overhead a real run adds. Predictor changes
// can be judged in seconds this way; the bench remains the measure. Two
// things differ from a real run: the policy learns no pass times (the curve
// is taken as measured), and the trace names no end-of-generation tokens, so
// a copy may run on past a source's end of turn, which the engine's predictor
// stops before.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Token } from "node-llama-cpp";
import { DraftPolicy, type CostCurve } from "../../electron/engine/draftPolicy";
import { ReferencePredictor } from "../../electron/engine/referencePredictor";
import { fastestPasses, oracleCosts, oracleMaxDraft, relativeAt } from "./copyBound";
import type { Trace, TracedTurn } from "./trace";

/** One reply replayed, its costs in one-token passes after the first token. */
export interface ReplayedTurn {
  id: string;
  kind: string;
  turn: number;
  tokens: number;
  drafted: number;
  accepted: number;
  /** Passes' cost with the predictor's drafts. */
  cost: number;
  /** The copy oracle's cost for the same reply. */
  oracleCost: number;
  /** The cost of the oracle that knows a copy once its first token is written (seenRuns). */
  lookupOracleCost: number;
  /** The cost of drafting, at every place, the predictor's chosen continuation exactly as far as the reply follows it. */
  chosenOracleCost: number;
  /** The same with, at every place, whichever match the predictor's index finds there the reply follows furthest. */
  matchOracleCost: number;
}

/**
 * Feeds one reply to `predictor` the way node-llama-cpp's sequence does: the
 * prompt pass without a draft, then at each pass the predictor's draft, the
 * leading drafted tokens the reply has accepted, and the pass's own token,
 * pushed one at a time. At every place of the reply it also asks what the
 * predictor could copy there, for two oracles between it and the lookup bound:
 * one that knows how far the chosen match will be followed (what better draft
 * lengths could win) and one that also knows which match to choose.
 */
export function replayTurn(predictor: ReferencePredictor, turn: TracedTurn, curve: CostCurve): ReplayedTurn {
  const relative = relativeAt(curve, turn.prompt.length);
  const reply = turn.reply;
  predictor.setReferences(turn.references);
  predictor.replyLimit = turn.maxTokens;
  predictor.reset({ stateTokens: turn.prompt as Token[] });
  predictor.predictTokens();
  let cost = 0;
  const chosenRuns = reply.map(() => 0);
  const matchRuns = reply.map(() => 0);
  const push = (place: number) => {
    predictor.pushTokens([reply[place]!] as Token[]);
    if (place + 1 >= reply.length) return;
    const runs = predictor.candidates().map((candidate) => followed(candidate, reply, place + 1));
    chosenRuns[place + 1] = runs[0] ?? 0;
    matchRuns[place + 1] = Math.max(0, ...runs);
  };
  if (reply.length > 0) push(0);
  for (let at = 1; at < reply.length; ) {
    const draft = predictor.predictTokens();
    const accepted = followed(draft, reply, at);
    cost += relative[draft.length]!;
    for (let place = at; place <= Math.min(at + accepted, reply.length - 1); place++) push(place);
    at += accepted + 1;
  }
  const stats = predictor.takeStats();
  const oracle = oracleCosts(reply, turn.prompt, turn.references.map((r) => r.tokens), curve);
  const maxDraft = oracleMaxDraft(curve);
  return {
    id: turn.id,
    kind: turn.kind,
    turn: turn.turn,
    tokens: reply.length,
    drafted: stats.drafted,
    accepted: stats.accepted,
    cost,
    oracleCost: oracle.cost,
    lookupOracleCost: oracle.lookupCost,
    chosenOracleCost: fastestPasses(chosenRuns, relative, maxDraft).cost,
    matchOracleCost: fastestPasses(matchRuns, relative, maxDraft).cost,
  };
}

/** How many leading tokens of `guess` the reply has from `at` on. */
function followed(guess: readonly number[], reply: readonly number[], at: number): number {
  let n = 0;
  while (n < guess.length && at + n < reply.length && guess[n] === reply[at + n]) n++;
  return n;
}

/** Every turn in the trace's order: one policy for all, as one engine has, and one predictor per conversation. */
export function replayTrace(trace: Trace): ReplayedTurn[] {
  const policy = new DraftPolicy(trace.costCurve, false);
  const predictors = new Map<string, ReferencePredictor>();
  return trace.turns.map((turn) => {
    let predictor = predictors.get(turn.conversation);
    if (!predictor) predictors.set(turn.conversation, (predictor = new ReferencePredictor(policy)));
    return replayTurn(predictor, turn, trace.costCurve);
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) throw new Error("usage: tsx test/bench/replay.ts TRACE.json");
  const turns = replayTrace(JSON.parse(fs.readFileSync(file, "utf8")) as Trace);
  const verbose = process.argv.includes("--turns");
  if (verbose)
    for (const t of turns)
      console.log(
        `${t.id.padEnd(20)} t${t.turn} ${String(t.tokens).padStart(4)} tok  accepted ${t.accepted}/${t.drafted}  ` +
          `speed-up ${((t.tokens - 1) / t.cost).toFixed(2)}x  bound ${((t.tokens - 1) / t.oracleCost).toFixed(2)}x  share ${((t.oracleCost / t.cost) * 100).toFixed(0)}%`,
      );
  console.log("kind         decoding speed-up  bound  share  lookup bound  share  chosen, best length  best match  accepted/drafted");
  for (const kind of [...new Set(turns.map((t) => t.kind))]) {
    const of = turns.filter((t) => t.kind === kind);
    const sum = (f: (t: ReplayedTurn) => number) => of.reduce((n, t) => n + f(t), 0);
    const plain = sum((t) => Math.max(0, t.tokens - 1));
    console.log(
      `${kind.padEnd(12)} ${(plain / sum((t) => t.cost)).toFixed(2).padStart(16)}x  ${(plain / sum((t) => t.oracleCost)).toFixed(2).padStart(4)}x` +
        `  ${((sum((t) => t.oracleCost) / sum((t) => t.cost)) * 100).toFixed(0).padStart(4)}%` +
        `  ${(plain / sum((t) => t.lookupOracleCost)).toFixed(2).padStart(11)}x  ${((sum((t) => t.lookupOracleCost) / sum((t) => t.cost)) * 100).toFixed(0).padStart(4)}%` +
        `  ${(plain / sum((t) => t.chosenOracleCost)).toFixed(2).padStart(18)}x  ${(plain / sum((t) => t.matchOracleCost)).toFixed(2).padStart(9)}x` +
        `  ${sum((t) => t.accepted)}/${sum((t) => t.drafted)}`,
    );
  }
}
