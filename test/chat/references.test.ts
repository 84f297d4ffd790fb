import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectDone, startService, type TestService } from "./helpers";

let t: TestService;

beforeAll(async () => {
  // Two threads: on one, verifying a batch costs about as much per token as decoding it (the
  // measured cost curve), so the draft policy rightly never drafts, and nothing could be copied.
  t = await startService({ threads: 2, maxTokens: 32 });
});
afterAll(() => t?.close());

const question = "Explain in detail how to make a cup of tea, step by step.";

describe("references from past answers", () => {
  it("answers a question asked before in another conversation by copying from the earlier answer", async () => {
    const first = await t.service.createConversation({});
    const before = expectDone(await t.service.sendMessage({ conversationId: first.id, text: question }, () => {}));
    // The first time, only its own conversation (the question, or the reply repeating itself) could be copied.
    const own = [before.message.parentId, before.message.id];
    expect(before.message.stats!.copiedSpans.every((s) => own.includes(s.sourceId))).toBe(true);

    const second = await t.service.createConversation({});
    const again = expectDone(await t.service.sendMessage({ conversationId: second.id, text: question }, () => {}));
    const stats = again.message.stats!;
    expect(stats.drafting).toEqual({ on: true });
    expect(stats.accepted).toBeGreaterThan(0);
    expect(stats.forwardPasses).toBeLessThan(stats.tokens);
    const fromBefore = stats.copiedSpans.filter((s) => s.sourceId === before.message.id);
    expect(fromBefore.length).toBeGreaterThan(0);
    for (const span of fromBefore) {
      expect(span.end).toBeGreaterThan(span.start);
      expect(span.sourceEnd! - span.sourceStart!).toBeGreaterThan(0);
    }
    // Lossless: the same text as the first time, which had nothing to copy.
    expect(again.message.content).toBe(before.message.content);
    // The earlier answer's token ids were cached for the next time.
    expect(t.store.getTokens(before.message.id, t.models.engine().modelName)?.length).toBeGreaterThan(0);
  });

  it("runs a reply with drafting off for the benchmark: no drafts, same text", async () => {
    const third = await t.service.createConversation({});
    const { end, stats } = await t.service.benchReply({ conversationId: third.id, text: question, drafting: "off" });
    expect(end.type).toBe("done");
    expect(stats).toMatchObject({ drafted: 0, accepted: 0, drafting: { on: false } });
    const firstAnswer = (await t.service.listConversations({})).items.at(-1)!;
    const original = (await t.service.getConversation({ conversationId: firstAnswer.id })).messages[1]!;
    expect(end.type === "done" && end.message.content).toBe(original.content);
  });
});
