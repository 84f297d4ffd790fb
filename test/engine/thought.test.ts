// A thinking model's thought is kept apart from its answer. No thinking model is small enough for the
// test suite, so SmolLM2 (ChatML, as Qwen's template) runs under node-llama-cpp's Qwen 3.5 template,
// which opens a thought at the start of every reply: the thought is what the model writes before
// "</think>".
import { QwenChatWrapper } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../../electron/engine/engine";
import { testModelPath } from "../helpers/model";

let engine: Engine;

beforeAll(async () => {
  engine = await Engine.load({
    modelPath: await testModelPath(),
    contextSize: 1024,
    threads: 1,
    chatWrapper: new QwenChatWrapper({ thoughts: "auto", variation: "3.5" }),
  });
});
afterAll(() => engine?.dispose());

describe("a thinking model's reply", () => {
  it("streams and returns the thought apart from the answer", async () => {
    const chat = await engine.openChat({ drafting: "reference" });
    let streamedThought = "";
    let streamedText = "";
    const reply = await chat.reply([{ role: "user", text: "Repeat after me: <think>\nI should add.\n</think>\n\nFour." }], {
      maxTokens: 40,
      onThought: (piece) => (streamedThought += piece),
      onText: (piece) => (streamedText += piece),
    });
    await chat.dispose();
    console.log(`thought ${JSON.stringify(reply.thought)}, answer ${JSON.stringify(reply.text)}`);
    expect(reply.thought.trim().length).toBeGreaterThan(0);
    expect(reply.thought).not.toContain("</think>");
    expect(streamedThought).toBe(reply.thought);
    expect(reply.text.length).toBeGreaterThan(0);
    expect(reply.text).not.toContain(reply.thought.trim());
    expect(streamedText.trimStart()).toBe(reply.text);
    // The thought's tokens count as generated: they took forward passes too.
    expect(reply.stats.tokens).toBe(reply.tokens.length);
    expect(reply.tokens.length).toBeGreaterThan(engine.tokenize(reply.text).length);
  });
});
