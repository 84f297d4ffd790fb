import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RepriseApi } from "../../electron/api/contract";
import { createHttpClient } from "../../electron/api/httpClient";
import { costCurvePath } from "../../electron/engine/costCurve";
import { Engine } from "../../electron/engine/engine";
import { modelCacheDir } from "../../electron/paths";
import { breakRollback } from "../helpers/brokenRollback";
import { testModelPath } from "../helpers/model";
import { startTestServer, type TestServer } from "./helpers";

let t: TestServer;
let api: RepriseApi;
let restore: () => void;
let cacheDir: string;

beforeAll(async () => {
  // The calibration is measured (or found) on sound sequences and kept where the server's engine
  // finds it, so that only the self-check runs at load, on sequences whose rollback is broken.
  const modelPath = await testModelPath();
  const sound = await Engine.load({ modelPath, threads: 1 });
  await sound.costCurve();
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-check-"));
  fs.copyFileSync(await costCurvePath(sound.model, modelPath, 1, modelCacheDir()), await costCurvePath(sound.model, modelPath, 1, cacheDir));
  await sound.dispose();
  restore = breakRollback();
  t = await startTestServer({ maxTokens: 16, cacheDir });
  api = createHttpClient({ baseUrl: t.server.url, token: () => t.token });
});
afterAll(async () => {
  restore?.();
  await t?.close();
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

describe("a model whose drafts fail the self-check, over HTTP", () => {
  it("reports the failure in the model's status and turns drafting off for its replies, saying why", async () => {
    let status = await api.modelStatus({});
    for (const until = Date.now() + 120_000; !status.drafting && Date.now() < until; status = await api.modelStatus({})) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status.drafting).toMatchObject({ maxDraftTokens: 0, selfCheck: { passed: false } });
    expect(status.drafting!.selfCheck.failure).toMatch(/rolled back/);
    expect(status.drafting!.limitation).toMatch(/^Replies are not drafted: the drafting self-check found/);

    const { id } = await api.createConversation({});
    const end = await api.sendMessage({ conversationId: id, text: "Write a short poem about the sea." }, () => {});
    expect(end.type).toBe("done");
    const reply = (await api.getConversation({ conversationId: id })).messages[1]!;
    expect(reply.content.length).toBeGreaterThan(0);
    expect(reply.stats).toMatchObject({ drafted: 0, speedup: null, drafting: { on: false } });
    expect(reply.stats!.drafting).toEqual({ on: false, reason: expect.stringMatching(/^the drafting self-check failed/) });
  });
});
