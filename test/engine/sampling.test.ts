// Drafting while sampling keeps the model's distribution: a drafted token is kept only where the
// token sampled at its position equals it. Shown on the real model by comparing token frequencies
// of plain and drafted sampling, with a control that the comparison can tell a small change apart.
import type { Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cheapVerification } from "../../electron/engine/draftPolicy";
import { Engine, type ChatTurn, type Drafting, type EngineChat } from "../../electron/engine/engine";
import { defaultModel } from "../../electron/engine/modelCatalog";
import {
  chatSampling,
  greedySampling,
  presetOf,
  recommendedSampling,
  resolveSampling,
  type Sampling,
} from "../../electron/engine/sampling";
import { chiSquareHomogeneity } from "../helpers/chiSquare";
import { testModelPath } from "../helpers/model";

describe("sampling settings", () => {
  it("reads a model file's recommended sampling, field by field, and refuses nonsense", () => {
    expect(recommendedSampling({ sampling: { temp: 0.6, top_k: 20, top_p: 0.8 } })).toEqual({ temperature: 0.6, topK: 20, topP: 0.8, minP: chatSampling.minP });
    expect(recommendedSampling({ sampling: { temp: -1, top_k: 2.5, top_p: "0.8" } })).toBeNull();
    expect(recommendedSampling({ sampling: { temp: 9, min_p: 0.1 } })).toEqual({ ...chatSampling, minP: 0.1 });
    expect(recommendedSampling({})).toBeNull();
    expect(recommendedSampling(undefined)).toBeNull();
  });

  it("resolves a preset: the model's recommendation or llama.cpp's defaults, greedy, or the user's values", () => {
    const custom: Sampling & { maxTokens: number } = { temperature: 1.2, topK: 5, topP: 0.5, minP: 0.2, maxTokens: 9 };
    const recommended = { temperature: 0.6, topK: 20, topP: 0.8, minP: 0 };
    expect(resolveSampling("model", custom, recommended)).toEqual(recommended);
    expect(resolveSampling("model", custom, null)).toEqual(chatSampling);
    expect(resolveSampling("precise", custom, recommended)).toEqual(greedySampling);
    expect(resolveSampling("custom", custom, recommended)).toEqual({ temperature: 1.2, topK: 5, topP: 0.5, minP: 0.2 });
  });

  it("takes a conversation's own preset only when it is one", () => {
    expect(presetOf({ samplingPreset: "precise" })).toBe("precise");
    expect(presetOf({ samplingPreset: "../x" })).toBeUndefined();
    expect(presetOf({})).toBeUndefined();
  });
});

describe("drafting while sampling, on the real model", () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.load({ modelPath: await testModelPath(defaultModel), contextSize: 1024, threads: 1, assumedCost: cheapVerification });
  });
  afterAll(() => engine?.dispose());

  const text = "The quick brown fox jumps over the lazy dog near the river bank every single morning.";
  const turns: ChatTurn[] = [{ role: "user", text: `Repeat this sentence: ${text}` }];
  const draws = 200;
  const replyTokens = 5;

  /** `draws` short sampled replies to the same question, each with its own seed. */
  async function sample(drafting: Drafting, sampling: Sampling, seedBase: number) {
    const references = [{ id: "sentence", tokens: engine.renderTurns([...turns, { role: "assistant", text }]) }];
    const chat: EngineChat = await engine.openChat({ drafting });
    const replies: Token[][] = [];
    let drafted = 0;
    let accepted = 0;
    try {
      for (let i = 0; i < draws; i++) {
        const reply = await chat.reply(turns, { maxTokens: replyTokens, sampling, seed: seedBase + i, references });
        replies.push(reply.tokens);
        drafted += reply.stats.drafted;
        accepted += reply.stats.accepted;
      }
    } finally {
      await chat.dispose();
    }
    return { replies, drafted, accepted };
  }

  /** One category per reply: its tokens after the first (the first is never drafted), up to `length`. */
  const prefixes = (replies: Token[][], length: number) => replies.map((tokens) => tokens.slice(1, length).join(" "));

  it("gives the same token frequencies as plain sampling, and the test tells a small change of temperature apart", async () => {
    const sampling: Sampling = { temperature: 1, topK: 40, topP: 1, minP: 0 };
    const plain = await sample("off", sampling, 1_000);
    const drafted = await sample("reference", sampling, 50_000);
    const cooler = await sample("off", { ...sampling, temperature: 0.6 }, 90_000);

    // Drafts ran, and were both kept and refused at sampled positions.
    expect(drafted.accepted).toBeGreaterThan(draws / 2);
    expect(drafted.drafted).toBeGreaterThan(drafted.accepted);
    // Replies do vary from seed to seed.
    expect(new Set(prefixes(plain.replies, replyTokens)).size).toBeGreaterThan(10);

    for (const length of [2, 3, replyTokens]) {
      const same = chiSquareHomogeneity(prefixes(plain.replies, length), prefixes(drafted.replies, length));
      const control = chiSquareHomogeneity(prefixes(plain.replies, length), prefixes(cooler.replies, length));
      console.log(
        `tokens 2..${length}: drafted vs plain p = ${same.pValue.toExponential(2)} (${same.categories} categories); ` +
          `temperature 0.6 vs 1 p = ${control.pValue.toExponential(2)}`,
      );
      // Three comparisons at 1e-3 each: a false alarm about once in 300 runs.
      expect(same.pValue).toBeGreaterThan(1e-3);
      if (length === replyTokens) expect(control.pValue).toBeLessThan(1e-3);
    }
  }, 600_000);
});
