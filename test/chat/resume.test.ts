import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { StateFiles } from "../../electron/chat/stateFiles";
import { EngineChat } from "../../electron/engine/engine";
import { expectDone, startService, type TestService } from "./helpers";
import { longConversation } from "./longConversation";

/** What one reply cost its chat: tokens held before it, tokens it evaluated, tokens it drafted. */
interface Evaluation {
  heldBefore: number;
  evaluated: number;
  heldAfter: number;
  drafted: number;
}

let t: TestService;
const evaluations: Evaluation[] = [];

beforeAll(async () => {
  t = await startService({ contextSize: 4096, maxTokens: 4 });
  const reply = EngineChat.prototype.reply;
  vi.spyOn(EngineChat.prototype, "reply").mockImplementation(async function (this: EngineChat, turns, options) {
    const meter = this.sequence.tokenMeter;
    const used = () => meter.usedInputTokens + meter.usedOutputTokens;
    const heldBefore = this.sequence.nextTokenIndex;
    const before = used();
    const result = await reply.call(this, turns, options);
    evaluations.push({ heldBefore, evaluated: used() - before, heldAfter: this.sequence.nextTokenIndex, drafted: result.stats.drafted });
    return result;
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await t?.close();
});

/** Sends a message and returns what its reply evaluated. */
async function send(conversationId: string, text: string): Promise<Evaluation> {
  const count = evaluations.length;
  expectDone(await t.service.sendMessage({ conversationId, text }, () => {}));
  expect(evaluations).toHaveLength(count + 1);
  return evaluations.at(-1)!;
}

/**
 * A resumed reply starts from the whole history and evaluates only what is new: the new message, the
 * tokens it generates and drafts, and at most one opening's worth (32 tokens) that the reply's own
 * retokenized end may differ by.
 */
function expectResumed(run: Evaluation, history: number): void {
  expect(run.heldBefore).toBeGreaterThanOrEqual(history);
  expect(run.evaluated).toBeLessThanOrEqual(run.heldAfter - run.heldBefore + run.drafted + 32);
  expect(run.evaluated).toBeLessThan(history / 10);
}

describe("continuing a conversation with 2,000 tokens of history", () => {
  it("evaluates only the new message, from memory and after its state went to disk", async () => {
    const long = longConversation(t, 2000);
    expect(long.tokens).toBeGreaterThanOrEqual(2000);
    // Its first reply reads the whole history: the cost that keeping the state saves from then on.
    const cold = await send(long.id, "What happened next?");
    expect(cold.heldBefore).toBe(0);
    expect(cold.evaluated).toBeGreaterThanOrEqual(long.tokens);

    expectResumed(await send(long.id, "What happened next?"), long.tokens);

    // Three other conversations push it out of memory (three contexts are kept): its state goes to
    // disk and comes back from there.
    for (let other = 0; other < 3; other++) {
      const { id } = await t.service.createConversation({});
      await send(id, "Hello there.");
    }
    // State files are named by a hash of the conversation id, never by the id itself.
    const keyName = createHash("sha256").update(long.id).digest("hex").slice(0, 32);
    const stateFiles = () => fs.readdirSync(path.join(t.dir, "state")).filter((f) => f.endsWith(`-${keyName}.state`));
    expect(stateFiles()).toHaveLength(1);
    const load = vi.spyOn(StateFiles.prototype, "load");
    const fromDisk = await send(long.id, "What happened next?");
    expect(load).toHaveBeenCalledTimes(1);
    expect(load.mock.calls[0]![1]).toBe(long.id);
    await expect(load.mock.results[0]!.value).resolves.toBe(true);
    expectResumed(fromDisk, long.tokens);

    // The saved state holds the conversation's tokens: it goes with the conversation.
    await t.service.deleteConversation({ conversationId: long.id });
    expect(stateFiles()).toEqual([]);
  });
});
