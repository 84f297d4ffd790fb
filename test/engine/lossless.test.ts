// Reference drafting must give exactly the tokens of plain greedy decoding.
// Each test below targets one way it could fail (DESIGN.md, "Known traps").
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { costCurveFileName, predictions } from "../../electron/engine/costCurve";
import { cheapVerification, maxDraftLength } from "../../electron/engine/draftPolicy";
import { Engine, type ChatTurn, type Drafting, type ReplyOptions } from "../../electron/engine/engine";
import { llama } from "../../electron/engine/llama";
import { exactnessModels, testModelPath } from "../helpers/model";

/** Reprise's own llama.cpp build (`npm run llama:build`) is what the app loads when it is there. */
const localBuild = (await llama()).buildType === "localBuild";

describe.each(exactnessModels)("lossless reference drafting on $name", ({ model }) => {
  let engine: Engine;

  beforeAll(async () => {
    // Timings that always favour drafting, so every test exercises verification
    // whatever the load on the machine; the exactness limit is still measured.
    engine = await Engine.load({
      modelPath: await testModelPath(model),
      contextSize: 2048,
      // One thread: two threads on two cores slow down by orders of magnitude
      // whenever anything else runs, and tests share the machine.
      threads: 1,
      assumedCost: cheapVerification,
    });
    // On a build this machine has not calibrated yet (a fresh checkout, a new patch set) that takes
    // up to two minutes on one thread: here, not inside the first test's time.
    await engine.costCurve();
  }, 300_000);
  afterAll(() => engine?.dispose());

  async function reply(drafting: Drafting, turns: ChatTurn[], options: ReplyOptions = {}) {
    const chat = await engine.openChat({ drafting });
    try {
      return await chat.reply(turns, { maxTokens: 64, ...options });
    } finally {
      await chat.dispose();
    }
  }

  /** Plain decoding and reference drafting on the same turns; both results. */
  async function compare(turns: ChatTurn[], options: ReplyOptions = {}) {
    const plain = await reply("off", turns, { ...options, references: undefined });
    const drafted = await reply("reference", turns, options);
    return { plain, drafted };
  }

  // Unseen text: not in the benchmark set, not in the calibration text.
  const letter =
    "Dear neighbours, the water supply will be interrupted on Tuesday between nine and noon " +
    "while the pipes under Elm Street are replaced. Please keep some water aside.";

  it("is token-identical on a multi-turn conversation that copies earlier turns", async () => {
    const first: ChatTurn[] = [{ role: "user", text: `Repeat this notice word for word:\n\n${letter}` }];
    const { plain: a, drafted: b } = await compare(first);
    expect(b.tokens).toEqual(a.tokens);
    const turns: ChatTurn[] = [...first, { role: "assistant", text: a.text }, { role: "user", text: "Say it again." }];
    const { plain, drafted } = await compare(turns);
    expect(drafted.tokens).toEqual(plain.tokens);
    expect(drafted.stats.accepted).toBeGreaterThan(0);
    expect(drafted.stats.forwardPasses).toBeLessThan(plain.stats.forwardPasses);
  });

  it("is token-identical when copying a cached past answer, and says where it copied from", async () => {
    const question: ChatTurn[] = [{ role: "user", text: "List the planets of the solar system in order." }];
    const past = await reply("off", question);
    const references = [{ id: "answer-1", tokens: engine.renderTurns([...question, { role: "assistant", text: past.text }]) }];
    const { plain, drafted } = await compare(question, { references });
    expect(drafted.tokens).toEqual(plain.tokens);
    expect(drafted.stats.accepted).toBeGreaterThan(plain.tokens.length / 3);
    expect(drafted.stats.copiedSpans.some((span) => span.sourceId === "answer-1")).toBe(true);
    for (const span of drafted.stats.copiedSpans) {
      expect(span.replyEndChar).toBeGreaterThan(span.replyStartChar);
      expect(span.replyEndChar).toBeLessThanOrEqual(drafted.text.length);
    }
  });

  it.runIf(model.id === "gemma-3-270m-q4_k_m")("trap: rejected drafts leave the sliding-window cache as it was (Gemma 3 only: the other model has no sliding window)", async () => {
    const swa = engine.model.fileInsights.swaSize;
    expect(swa).toBeGreaterThan(0);
    // A long history pushes the reply past the sliding window, and a past answer
    // that agrees only in part makes drafts that are partly rejected.
    const filler = Array.from({ length: 40 }, (_, i) => `Line ${i + 1}: ${letter}`).join("\n");
    const turns: ChatTurn[] = [
      { role: "user", text: `Here is a log:\n${filler}` },
      { role: "assistant", text: "Noted." },
      { role: "user", text: "Now write a short poem about the sea." },
    ];
    expect(engine.renderTurns(turns).length).toBeGreaterThan(swa!);
    // A reference that agrees with the answer except at every fourth token:
    // drafts from it are accepted in part and rejected in part.
    const plain = await reply("off", turns);
    const altered = plain.tokens.map((token, i) => (i % 4 === 3 ? ((token + 1) as Token) : token));
    const drafted = await reply("reference", turns, { references: [{ id: "altered", tokens: altered }] });
    expect(drafted.tokens).toEqual(plain.tokens);
    expect(drafted.stats.accepted).toBeGreaterThan(0);
    expect(drafted.stats.drafted).toBeGreaterThan(drafted.stats.accepted);
  });

  it(`trap: on two threads, a conversation continued past 512 cached tokens stays identical, ${localBuild ? "drafting (the local llama.cpp build)" : "with drafting off (the prebuilt binary)"}`, async () => {
    // llama.cpp's CPU flash attention splits one token's attention across
    // threads once 512 tokens are cached, a rounding a batch never takes; only
    // a build without that split (npm run llama:build) lets two threads draft.
    const twoThreads = await Engine.load({ modelPath: await testModelPath(model), contextSize: 2048, threads: 2 });
    try {
      const curve = await twoThreads.costCurve();
      // Enough notices that the question alone takes the context past 600 tokens, whatever the
      // model's tokenizer and however briefly it answers.
      const ask = (count: number): ChatTurn[] => [
        {
          role: "user",
          text: `Repeat these notices word for word:\n\n${Array.from({ length: count }, (_, i) => `Notice ${i + 1}: ${letter}`).join("\n")}`,
        },
      ];
      let count = 6;
      while (twoThreads.renderTurns(ask(count)).length <= 600) count++;
      const run = async (drafting: Drafting) => {
        const chat = await twoThreads.openChat({ drafting });
        try {
          const turns = ask(count);
          const first = await chat.reply(turns, { maxTokens: 64 });
          turns.push({ role: "assistant", text: first.text }, { role: "user", text: "Say them again." });
          const second = await chat.reply(turns, { maxTokens: 64 });
          return { tokens: [first.tokens, second.tokens], accepted: first.stats.accepted + second.stats.accepted, end: chat.sequence.nextTokenIndex };
        } finally {
          await chat.dispose();
        }
      };
      const plain = await run("off");
      const drafted = await run("reference");
      expect(plain.end).toBeGreaterThan(600);
      expect(drafted.tokens).toEqual(plain.tokens);
      if (localBuild) {
        expect(curve.exactBatch).toBe(maxDraftLength + 1);
        expect(drafted.accepted).toBeGreaterThan(0);
      } else {
        // The calibration's deep check sees the split's rounding and keeps drafting off.
        expect(curve.exactBatch).toBe(1);
        expect(drafted.accepted).toBe(0);
      }
    } finally {
      await twoThreads.dispose();
    }
  });

  it("trap: with a repeat penalty, drafting turns itself off and the output stays plain decoding's", async () => {
    const turns: ChatTurn[] = [{ role: "user", text: `Repeat this notice word for word:\n\n${letter}` }];
    const { plain, drafted } = await compare(turns, { repeatPenalty: 1.3 });
    expect(drafted.stats.drafting).toEqual({
      on: false,
      reason: "a repeat penalty is set: drafted tokens would be penalized differently",
    });
    expect(drafted.stats.drafted).toBe(0);
    expect(drafted.tokens).toEqual(plain.tokens);
  });

  it("trap: batched evaluation is bit-exact up to the calibrated batch size", async ({ skip }) => {
    const curve = await engine.costCurve();
    // Kept by the test machine's calibration: the assumed timings must not hide it.
    expect(curve.relative[1]).toBeCloseTo(1.05);
    if (localBuild) expect(curve.exactBatch).toBe(maxDraftLength + 1);
    skip(curve.exactBatch === 1, "this llama.cpp binary evaluates no batch exactly on this machine: there is no batch to compare");
    const context = await engine.model.createContext({ contextSize: 512, threads: engine.threads, swaFullCache: true });
    try {
      const sequence = context.getSequence();
      const tokens = engine.tokenize(`${letter} ${letter}`) as Token[];
      await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(0, 8));
      const probe = tokens.slice(8, 8 + 2 * curve.exactBatch);
      // Tokens and probabilities, bit for bit.
      expect(await predictions(sequence, probe, curve.exactBatch)).toEqual(await predictions(sequence, probe, 1));
    } finally {
      await context.dispose();
    }
  });

  it("trap: a prompt read in two parts predicts as the same prompt read in one batch", async ({ skip }) => {
    // What starting a conversation from another's state relies on (EngineChat.sharedPrefix).
    skip(!localBuild, "only Reprise's build evaluates a batch of any size as its rows one by one");
    const context = await engine.model.createContext({ contextSize: 1024, threads: engine.threads, swaFullCache: true });
    try {
      const sequence = context.getSequence();
      const prompt = engine.tokenize(Array.from({ length: 8 }, () => letter).join("\n")) as Token[];
      const head = prompt.slice(0, -16);
      const tail = prompt.slice(-16);
      expect(head.length).toBeGreaterThan(200);
      await sequence.evaluateWithoutGeneratingNewTokens(head);
      const whole = await predictions(sequence, tail, tail.length);
      await sequence.eraseContextTokenRanges([{ start: 0, end: sequence.nextTokenIndex }]);
      // Cuts that leave more and fewer rows than llama.cpp's tiled attention starts at (64).
      for (const cut of [1, head.length - 100, head.length - 63, head.length - 1]) {
        await sequence.evaluateWithoutGeneratingNewTokens(head.slice(0, cut));
        await sequence.evaluateWithoutGeneratingNewTokens(head.slice(cut));
        // Tokens and probabilities, bit for bit.
        expect(await predictions(sequence, tail, tail.length), `cut after ${cut} tokens`).toEqual(whole);
        await sequence.eraseContextTokenRanges([{ start: 0, end: sequence.nextTokenIndex }]);
      }
    } finally {
      await context.dispose();
    }
  });

  it("drafts stay within the calibrated exact batch", async () => {
    // A machine whose calibration found batches of up to 4 tokens exact: drafts are at most 3 long.
    const exactBatch = 4;
    const cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), "reprise-curve-"));
    const modelPath = await testModelPath(model);
    const { size } = await fs.stat(modelPath);
    const file = costCurveFileName(path.basename(modelPath), size, engine.threads, engine.model.llama);
    await fs.writeFile(path.join(cacheDir, file), JSON.stringify({ ...cheapVerification, exactBatch }));
    const limited = await Engine.load({ modelPath, contextSize: 2048, threads: engine.threads, cacheDir, assumedCost: cheapVerification });
    try {
      expect((await limited.costCurve()).exactBatch).toBe(exactBatch);
      const chat = await limited.openChat({ drafting: "reference" });
      const lengths: number[] = [];
      const predictor = chat.sequence.tokenPredictor!;
      const predict = predictor.predictTokens.bind(predictor);
      predictor.predictTokens = () => {
        const draft = predict() as Token[];
        lengths.push(draft.length);
        return draft;
      };
      const turns: ChatTurn[] = [{ role: "user", text: `Repeat this notice word for word:\n\n${letter}` }];
      await chat.reply(turns, { maxTokens: 48 });
      await chat.dispose();
      // It drafted, and never past the limit.
      expect(Math.max(...lengths)).toBe(exactBatch - 1);
    } finally {
      await limited.dispose();
      await fs.rm(cacheDir, { recursive: true, force: true });
    }
  });

  it.runIf(localBuild)("picks every token as the greedy sampler chain does, on text it predicts and on text it cannot (needs the local llama.cpp build: it has the fast greedy pick)", async () => {
    // Asking for a token's confidence sends node-llama-cpp through its whole sampler chain; asking
    // for the token alone takes the fast greedy pick of Reprise's build (build/llama-patches/0007-addon-greedy-logit-scan.patch).
    const context = await engine.model.createContext({ contextSize: 512, threads: engine.threads, swaFullCache: true });
    try {
      const sequence = context.getSequence();
      const text = engine.tokenize(`${letter} ${letter}`) as Token[];
      let state = 7;
      const noise = Array.from({ length: 120 }, () => text[(state = (state * 48271) % 2147483647) % text.length]!);
      for (const tokens of [text, noise]) {
        const chain = await predictions(sequence, tokens, 1, () => true);
        const fast = await predictions(sequence, tokens, 1, () => false);
        expect(fast.map((p) => p.token)).toEqual(chain.map((p) => p.token));
      }
    } finally {
      await context.dispose();
    }
  });
});
