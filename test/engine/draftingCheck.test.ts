import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { draftingStatus } from "../../electron/chat/modelHost";
import { costCurvePath } from "../../electron/engine/costCurve";
import { maxDraftLength } from "../../electron/engine/draftPolicy";
import { checkDrafting, draftingCheckFile, draftPlans, firstDifference, tokensFor } from "../../electron/engine/draftingCheck";
import { Engine } from "../../electron/engine/engine";
import { modelCacheDir } from "../../electron/paths";
import { breakRollback } from "../helpers/brokenRollback";
import { exactnessModels, testModelPath } from "../helpers/model";

describe("draftPlans", () => {
  it("drafts every length up to the longest refuted halfway, then the longest refuted at once and accepted whole", () => {
    expect(draftPlans(4)).toEqual([
      { length: 1, right: 0 },
      { length: 2, right: 1 },
      { length: 3, right: 1 },
      { length: 4, right: 2 },
      { length: 4, right: 0 },
      { length: 4, right: 4 },
    ]);
    expect(draftPlans(0)).toEqual([]);
  });
});

describe("firstDifference", () => {
  it("finds the first token where the drafted run parts from plain decoding, a missing or extra one included", () => {
    const plain = [5, 6, 7] as Token[];
    expect(firstDifference(plain, [5, 6, 7] as Token[])).toBeNull();
    expect(firstDifference(plain, [5, 9, 7] as Token[])).toBe(1);
    expect(firstDifference(plain, [5, 6] as Token[])).toBe(2);
    expect(firstDifference(plain, [5, 6, 7, 8] as Token[])).toBe(3);
  });
});

describe.each(exactnessModels)("the drafting self-check on $name", ({ model }) => {
  let engine: Engine;
  let maxDraftTokens: number;

  beforeAll(async () => {
    // One thread: two threads on two cores slow down by orders of magnitude whenever anything else runs.
    engine = await Engine.load({ modelPath: await testModelPath(model), contextSize: 2048, threads: 1 });
    maxDraftTokens = Math.min(maxDraftLength, (await engine.costCurve()).exactBatch - 1);
  });
  afterAll(() => engine?.dispose());

  it("passes: drafts of every length, accepted and rolled back, leave greedy output as plain decoding writes it", async () => {
    const plans = draftPlans(maxDraftTokens);
    const result = await checkDrafting(engine.model, engine.threads, maxDraftTokens);
    expect(result).toEqual({
      checkedDraftTokens: maxDraftTokens,
      // Plain decoding ran long enough for every plan, and verification took each as drafted.
      comparedTokens: tokensFor(plans),
      acceptedDraftTokens: plans.reduce((sum, plan) => sum + plan.right, 0),
      refutedDraftTokens: plans.reduce((sum, plan) => sum + plan.length - plan.right, 0),
      failure: null,
    });
    expect(engine.draftingCapability!.selfCheck).toEqual({ passed: true, checkedDraftTokens: maxDraftTokens, failure: null });
  });

  it("fails on a sequence whose rollback is broken, and drafting is then off with the reason said", async () => {
    // The calibration is kept and found, so only the self-check runs on the broken sequence.
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-check-"));
    const modelPath = await testModelPath(model);
    fs.copyFileSync(await costCurvePath(engine.model, modelPath, 1, modelCacheDir()), await costCurvePath(engine.model, modelPath, 1, cacheDir));
    const restore = breakRollback();
    const broken = await Engine.load({ modelPath, contextSize: 2048, threads: 1, cacheDir });
    try {
      expect((await broken.costCurve()).exactBatch).toBe(1);
      const capability = broken.draftingCapability!;
      expect(capability.maxDraftTokens).toBe(0);
      expect(capability.selfCheck.passed).toBe(false);
      expect(capability.selfCheck.failure).toMatch(/rolled back/);
      expect(draftingStatus(capability)!.limitation).toMatch(/^Replies are not drafted: the drafting self-check found/);
      const chat = await broken.openChat();
      const reply = await chat.reply([{ role: "user", text: "Write a short poem about the sea." }], { maxTokens: 24 });
      await chat.dispose();
      expect(reply.stats.drafted).toBe(0);
      expect(reply.stats.speedup).toBeNull();
      expect(reply.stats.drafting).toEqual({ on: false, reason: expect.stringMatching(/^the drafting self-check failed/) });
      // The finding is kept with the calibration, so the next load does not check again.
      const kept = JSON.parse(fs.readFileSync(draftingCheckFile(await costCurvePath(broken.model, modelPath, 1, cacheDir)), "utf8"));
      expect(kept).toMatchObject({ checkedDraftTokens: maxDraftTokens, failure: capability.selfCheck.failure });
    } finally {
      restore();
      await broken.dispose();
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
