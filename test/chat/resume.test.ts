import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { StateFiles } from "../../electron/chat/stateFiles";
import { startService, type TestService } from "./helpers";
import { longConversation } from "./longConversation";
import { meterReplies, sendMetered, type Evaluation } from "./replyMeter";

let t: TestService;
let evaluations: Evaluation[];

beforeAll(async () => {
  t = await startService({ contextSize: 4096, maxTokens: 4 });
  evaluations = meterReplies();
});
afterAll(async () => {
  vi.restoreAllMocks();
  await t?.close();
});

const send = (conversationId: string, text: string) => sendMetered(t, evaluations, conversationId, text);

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
