import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { costCurveFileName } from "../../electron/engine/costCurve";
import type { CostCurve } from "../../electron/engine/draftPolicy";
import { modelCacheDir } from "../../electron/paths";
import { testModelPath } from "../helpers/model";
import { expectDone, startService, type TestService } from "./helpers";

let t: TestService;
let cacheDir: string;

/**
 * The draft policy drafts only where verifying a batch is measured to cost little more than one
 * token. On this shared 2-core CPU it measures about 3x for two tokens, so it rightly never drafts,
 * and nothing would be copied. This test is about the chat path (the past answer offered as a
 * reference, the copy credited to it), so it runs the engine on the cost curve of a machine where
 * batches are cheap, as on a GPU, keeping this machine's measured limit of bit-exact batch sizes.
 */
async function startOnCheapBatches(): Promise<TestService> {
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-curve-"));
  for (const f of fs.readdirSync(modelCacheDir()).filter((f) => /\.cost.*\.json$/.test(f))) {
    fs.copyFileSync(path.join(modelCacheDir(), f), path.join(cacheDir, f));
  }
  const service = await startService({ maxTokens: 32, cacheDir });
  // Measured (or found) for this machine and thread count; then made cheap, and the model reloaded
  // so that the engine reads the changed curve.
  const engine = service.models.engine();
  await engine.costCurve();
  const { size } = fs.statSync(engine.modelPath);
  const file = path.join(cacheDir, costCurveFileName(path.basename(engine.modelPath), size, engine.threads, engine.model.llama));
  const curve = JSON.parse(fs.readFileSync(file, "utf8")) as CostCurve;
  curve.relative = curve.relative.map((_, i) => 1 + 0.02 * i);
  curve.deep.relative = curve.relative;
  fs.writeFileSync(file, JSON.stringify(curve));
  expect((await service.service.selectModel({ path: await testModelPath() })).state).toBe("ready");
  expect((await service.models.engine().costCurve()).relative[1]).toBeCloseTo(1.02);
  return service;
}

beforeAll(async () => {
  t = await startOnCheapBatches();
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

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
    console.log(
      `repeat question: ${stats.accepted} of ${stats.tokens} tokens accepted from drafts, ${stats.forwardPasses} forward passes ` +
        `(first time: ${before.message.stats!.forwardPasses}); ${stats.tokensPerSecond.toFixed(0)} vs ${before.message.stats!.tokensPerSecond.toFixed(0)} tokens/s`,
    );
    expect(stats.drafting).toEqual({ on: true });
    expect(stats.accepted).toBeGreaterThan(0);
    expect(stats.forwardPasses).toBeLessThan(stats.tokens);
    const fromBefore = stats.copiedSpans.filter((s) => s.sourceId === before.message.id);
    expect(fromBefore.length).toBeGreaterThan(0);
    for (const span of fromBefore) {
      expect(span.replyEndChar).toBeGreaterThan(span.replyStartChar);
      expect(span.sourceEndToken! - span.sourceStartToken!).toBeGreaterThan(0);
    }
    // Lossless: the same text as the first time, which had nothing to copy.
    expect(again.message.content).toBe(before.message.content);
    // The earlier answer's token ids were cached for the next time.
    expect(t.store.getTokens(before.message.id, t.models.engine().modelName)?.length).toBeGreaterThan(0);
  });

  it("runs a reply with drafting off for the benchmark: no drafts, same text, and the token ids it produced", async () => {
    const third = await t.service.createConversation({});
    const { end, stats, tokens } = await t.service.benchReply({ conversationId: third.id, text: question, drafting: "off" });
    expect(end.type).toBe("done");
    expect(stats).toMatchObject({ drafted: 0, accepted: 0, drafting: { on: false } });
    const firstAnswer = (await t.service.listConversations({})).items.at(-1)!;
    const original = (await t.service.getConversation({ conversationId: firstAnswer.id })).messages[1]!;
    expect(end.type === "done" && end.message.content).toBe(original.content);
    expect(tokens).toHaveLength(stats!.tokens);
    expect(t.models.engine().detokenize(tokens!)).toBe(original.content);
  });
});
