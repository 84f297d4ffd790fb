import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ChatCache } from "../../electron/chat/chatCache";
import { StateFiles } from "../../electron/chat/stateFiles";
import { cheapVerification } from "../../electron/engine/draftPolicy";
import { Engine, type ChatTurn } from "../../electron/engine/engine";
import { exactnessModels, testModelPath } from "../helpers/model";
import { startService, type TestService } from "./helpers";
import { meterReplies, sendMetered, type Evaluation } from "./replyMeter";

/** A pasted text of some hundreds of tokens, as users paste one to ask about it. */
const pasted = `Summarize this text in two sentences.

The town of Millbrook takes its water from two wells on the hill above the river. In the spring of
last year the older well ran dry for six weeks, and the council had to bring water in by truck from
the next valley. Each household was allowed forty liters a day, and the school closed its kitchen.

An engineer from the county studied both wells over the summer. She found that the older well had
been drilled too shallow, into a layer of gravel that fills only when the snow melts, while the newer
well reaches the rock below and gives the same amount of water all year. She advised the council to
deepen the older well by thirty meters, to fit both wells with meters, and to repair the pipe under
the market square, which was losing a fifth of the water it carried.

The council agreed to the repairs in October. The work will cost the town about two hundred thousand
euros, half of it paid by the county, and it should be finished before the next spring. Until then,
the council asks every household to water gardens only in the evening and to report any leak it sees.`;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe.each(exactnessModels)("a new conversation that opens as a kept one does, on $name", ({ model }) => {
  let engine: Engine;

  beforeAll(async () => {
    // Timings that favour drafting, so that the drafted reply below verifies drafts.
    engine = await Engine.load({ modelPath: await testModelPath(model), contextSize: 2048, threads: 1, assumedCost: cheapVerification });
    // A build this machine has not calibrated yet takes up to two minutes here, not in the test.
    await engine.costCurve();
  }, 300_000);
  afterAll(() => engine?.dispose());

  it("starts from the kept one's state, and replies token for token as from a prompt read from scratch", async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-shared-"));
    dirs.push(stateDir);
    const cache = new ChatCache(3, new StateFiles(stateDir));
    const turns: ChatTurn[] = [{ role: "user", text: pasted }];
    const prompt = engine.renderTurns(turns).length;
    expect(prompt).toBeGreaterThan(200);

    const scratch = await engine.openChat({ drafting: "off" });
    const fresh = await scratch.reply(turns, { maxTokens: 48 });
    await scratch.dispose();
    console.log(`${model.id}, from scratch: ${JSON.stringify(fresh.text)}`);

    const first = await cache.acquire(engine, "first", "off", true, turns);
    expect(first.sequence.nextTokenIndex).toBe(0);
    expect((await first.reply(turns, { maxTokens: 48 })).tokens).toEqual(fresh.tokens);

    // The same text pasted into a new conversation, drafted this time: all but the prompt's last
    // token come from the first conversation, whose prompt was read in one batch where this one
    // reads a single token.
    const again = await cache.acquire(engine, "again", "reference", true, turns);
    expect(again.sequence.nextTokenIndex).toBe(prompt - 1);
    const reply = await again.reply(turns, { maxTokens: 48 });
    expect(reply.tokens).toEqual(fresh.tokens);
    expect(reply.stats.drafted).toBeGreaterThan(0);

    // Of two conversations that share as much, the copy comes from the one holding fewer tokens.
    await first.reply([...turns, { role: "assistant", text: fresh.text }, { role: "user", text: "And in one sentence?" }], { maxTokens: 16 });
    expect(first.sequence.nextTokenIndex).toBeGreaterThan(again.sequence.nextTokenIndex);
    const copied = vi.spyOn(StateFiles.prototype, "saveCopy");
    const third = await cache.acquire(engine, "third", "off", true, turns);
    expect(copied).toHaveBeenCalledTimes(1);
    expect(copied.mock.calls[0]![0]).toBe(again);
    copied.mockRestore();
    expect((await third.reply(turns, { maxTokens: 48 })).tokens).toEqual(fresh.tokens);

    // One that shares no more than the template's opening reads its prompt from scratch.
    const hello: ChatTurn[] = [{ role: "user", text: "Hello there." }];
    expect((await cache.acquire(engine, "hello", "off", true, hello)).sequence.nextTokenIndex).toBe(0);

    // The copies went through the state folder, and none is left there.
    expect(fs.readdirSync(stateDir).filter((name) => name.startsWith("copy-"))).toEqual([]);
    await cache.clear();
  });
});

describe("a kept conversation whose model went first", () => {
  it("is let go unsaved, without an error", async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-shared-"));
    dirs.push(stateDir);
    const engine = await Engine.load({ modelPath: await testModelPath(), contextSize: 1024, threads: 1 });
    const cache = new ChatCache(3, new StateFiles(stateDir));
    const turns: ChatTurn[] = [{ role: "user", text: "Hello there." }];
    const chat = await cache.acquire(engine, "hello", "off", true, turns);
    expect((await chat.reply(turns, { maxTokens: 4 })).tokens.length).toBeGreaterThan(0);
    await engine.dispose();
    expect(chat.disposed).toBe(true);
    await cache.clear();
    expect(fs.readdirSync(stateDir)).toEqual([]);
  });
});

describe("the chat service", () => {
  let t: TestService;
  let evaluations: Evaluation[];

  beforeAll(async () => {
    t = await startService({ contextSize: 2048, maxTokens: 24 });
    evaluations = meterReplies();
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await t?.close();
  });

  const send = (conversationId: string, text: string) => sendMetered(t, evaluations, conversationId, text);

  it("opens a new conversation from a kept one's state; that one still continues from its own", async () => {
    const prompt = t.models.engine().renderTurns([{ role: "user", text: pasted }]).length;
    const first = (await t.service.createConversation({})).id;
    const cold = await send(first, pasted);
    expect(cold.heldBefore).toBe(0);
    expect(cold.evaluated).toBeGreaterThanOrEqual(prompt);

    const again = await send((await t.service.createConversation({})).id, pasted);
    expect(again.heldBefore).toBe(prompt - 1);
    expect(again.evaluated).toBeLessThan(cold.evaluated - prompt / 2);

    const resumed = await send(first, "And in one sentence?");
    expect(resumed.heldBefore).toBeGreaterThan(prompt);
    expect(resumed.evaluated).toBeLessThan(prompt / 4);
    expect(fs.readdirSync(path.join(t.dir, "state")).filter((name) => name.startsWith("copy-"))).toEqual([]);
  });
});
