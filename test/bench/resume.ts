// `npm run bench:resume [-- --history-tokens N] [--runs N] [--threads N]`
// Time to first token, as a user waits for it, when continuing a conversation with a long history
// (its state kept in memory, then loaded from disk) against starting a new short one (in a new
// context, and taking over the context of a conversation that leaves memory), and against the
// first reply that reads the whole history.
import { parseArgs } from "node:util";
import { expectDone, startService, type TestService } from "../chat/helpers";
import { longConversation } from "../chat/longConversation";

const { values: args } = parseArgs({
  options: {
    "history-tokens": { type: "string", default: "2000" },
    runs: { type: "string", default: "7" },
    threads: { type: "string", default: "1" },
  },
});
const historyTokens = Number(args["history-tokens"]);
const runs = Number(args.runs);
const threads = Number(args.threads);
for (const [name, value] of [["--history-tokens", historyTokens], ["--runs", runs], ["--threads", threads]] as const) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} takes a positive whole number`);
}

const t: TestService = await startService({ contextSize: 4096, maxTokens: 4, threads });

/** Wall-clock time from sending a message to its first token event. */
async function timeToFirstToken(conversationId: string, text: string): Promise<number> {
  const started = performance.now();
  let first: number | undefined;
  const end = await t.service.sendMessage({ conversationId, text }, (event) => {
    if (event.type === "token") first ??= performance.now() - started;
  });
  expectDone(end);
  if (first === undefined) throw new Error("The reply wrote no token.");
  return first;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const list = (values: number[]) => values.map((v) => v.toFixed(0)).join(", ");

const long = longConversation(t, historyTokens);
const cold = await timeToFirstToken(long.id, "What happened next?");
// A new conversation opens a new context while memory has room for one (three contexts are kept);
// once memory is full a new conversation takes over the context of the one that leaves.
const opened: number[] = [];
const handedOver: number[] = [];
const resumed: number[] = [];
// Interleaved, so that load elsewhere on the machine falls on all alike.
for (let run = 0; run < runs; run++) {
  const { id } = await t.service.createConversation({});
  (run < 2 ? opened : handedOver).push(await timeToFirstToken(id, "What happened next?"));
  resumed.push(await timeToFirstToken(long.id, "What happened next?"));
}
// Three other conversations push the long one out of memory: its state goes to disk.
for (let other = 0; other < 3; other++) {
  const { id } = await t.service.createConversation({});
  await timeToFirstToken(id, "Hello there.");
}
const fromDisk = await timeToFirstToken(long.id, "What happened next?");

const openedMs = Math.min(...opened);
const resumeMs = median(resumed);
console.log(`model ${t.models.engine().modelName}, ${threads} thread(s), time to first token:`);
console.log(`  new short conversation in a new context: ${openedMs.toFixed(0)} ms (fastest of ${list(opened)})`);
if (handedOver.length > 0) {
  const handedOverMs = median(handedOver);
  console.log(`  new short conversation taking over a context: ${handedOverMs.toFixed(0)} ms (median of ${list(handedOver)})`);
  console.log(`  continuing / taking over: ${(resumeMs / handedOverMs).toFixed(2)}x`);
}
console.log(`  continuing ${long.tokens} tokens of history: ${resumeMs.toFixed(0)} ms (median of ${list(resumed)})`);
console.log(`  continuing / new context: ${(resumeMs / openedMs).toFixed(2)}x`);
console.log(`  continuing with its state loaded from disk: ${fromDisk.toFixed(0)} ms`);
console.log(`  its first reply, reading the whole history: ${cold.toFixed(0)} ms`);
await t.close();
