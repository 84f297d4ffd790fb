import type { Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine, type EngineChat } from "../../electron/engine/engine";
import { testModelPath } from "../helpers/model";

let engine: Engine;

beforeAll(async () => {
  engine = await Engine.load({ modelPath: await testModelPath(), contextSize: 1024 });
});
afterAll(() => engine?.dispose());

const prompt = [{ role: "user" as const, text: "Name three colours of the rainbow." }];

describe("engine on the real model", () => {
  it("streams a non-empty greedy reply, and the same tokens twice", async () => {
    const runs: { tokens: Token[]; text: string; streamed: string }[] = [];
    for (let run = 0; run < 2; run++) {
      // A fresh chat each time, so the second run cannot reuse the first one's state.
      const chat: EngineChat = await engine.openChat();
      let streamed = "";
      const reply = await chat.reply(prompt, { maxTokens: 24, onText: (text) => (streamed += text) });
      await chat.dispose();
      runs.push({ tokens: reply.tokens, text: reply.text, streamed });
    }
    const [first, second] = runs;
    expect(first!.tokens.length).toBeGreaterThan(0);
    expect(first!.text.trim().length).toBeGreaterThan(0);
    expect(first!.streamed).toBe(first!.text);
    expect(second!.tokens).toEqual(first!.tokens);
    expect(engine.detokenize(first!.tokens)).toBe(first!.text);
  });

  it("hands a released chat to the next conversation, which replies as in a new chat", async () => {
    const other = [{ role: "user" as const, text: "Write two sentences about the sea." }];
    const fresh = await engine.openChat({ drafting: "reference" });
    const expected = await fresh.reply(prompt, { maxTokens: 24 });
    await fresh.dispose();

    const first = await engine.openChat({ drafting: "reference" });
    await first.reply(other, { maxTokens: 24 });
    await first.release();
    const plain = await engine.openChat({ drafting: "off" });
    expect(plain).not.toBe(first);
    const next = await engine.openChat({ drafting: "reference" });
    expect(next).toBe(first);
    expect(next.sequence.nextTokenIndex).toBe(0);
    const reply = await next.reply(prompt, { maxTokens: 24 });
    await next.dispose();
    await plain.dispose();
    expect(reply.tokens).toEqual(expected.tokens);
  });

  it("opens a conversation's next turn after a reply, so the next reply reads only the new message, and the same", async () => {
    const turns = [{ role: "system" as const, text: "Answer briefly." }, ...prompt];
    const opened = await engine.openChat({ drafting: "reference" });
    const plain = await engine.openChat({ drafting: "reference" });
    const first = await opened.reply(turns, { maxTokens: 16 });
    await plain.reply(turns, { maxTokens: 16 });
    const answered = [...turns, { role: "assistant" as const, text: first.text }];
    await opened.openNextTurn(answered);
    const held = opened.sequence.nextTokenIndex;
    expect(held).toBeGreaterThan(plain.sequence.nextTokenIndex);
    expect(opened.sequence.contextTokens).toEqual(engine.renderNextTurnOpening(answered));

    const question = { role: "user" as const, text: "And three more?" };
    const next = [...answered, question];
    const rendered = engine.renderTurns([...next, { role: "assistant", text: "" }]);
    const nextReply = await opened.reply(next, { maxTokens: 16 });
    const plainReply = await plain.reply(next, { maxTokens: 16 });
    await opened.dispose();
    await plain.dispose();
    expect(nextReply.tokens).toEqual(plainReply.tokens);
    // What was opened is the start of the next prompt: the reply kept all of it.
    expect(rendered.slice(0, held)).toEqual(engine.renderNextTurnOpening(answered));
  });

  it("offers another conversation its exact tokens, and none that a context shift moved", async ({ skip }) => {
    skip(engine.model.llama.buildType !== "localBuild", "a prompt is shared only on Reprise's own build");
    const small = await Engine.load({ modelPath: await testModelPath(), contextSize: 256, threads: 1 });
    try {
      const chat = await small.openChat({ drafting: "off" });
      const long = [{ role: "user" as const, text: "Summarize this. " + "The river rose after the rain, and the bridge closed. ".repeat(10) }];
      await chat.reply(long, { maxTokens: 4 });
      const rendered = small.renderTurns(long);
      const held = chat.sequence.contextTokens;
      expect(held.slice(0, rendered.length)).toEqual(rendered);
      expect(chat.sharedPrefix(rendered)).toBe(rendered.length - 1);
      expect(chat.sharedPrefix([...held, ...small.tokenize(" More.")])).toBe(held.length);

      // Past the context's end node-llama-cpp erases the oldest tokens and moves the rest down.
      await chat.sequence.evaluateWithoutGeneratingNewTokens(small.tokenize(" The end.".repeat(40)));
      const moved = chat.sequence.contextTokens;
      expect(moved.slice(1, 1 + held.length)).not.toEqual(held.slice(1));
      expect(chat.sharedPrefix([...moved, ...small.tokenize(" More.")])).toBeLessThanOrEqual(1);

      // Once cleared, what it evaluates is exact again.
      await chat.clear();
      await chat.reply(long, { maxTokens: 4 });
      expect(chat.sharedPrefix(rendered)).toBe(rendered.length - 1);
      await chat.dispose();
    } finally {
      await small.dispose();
    }
  });

  it("disposes a chat released after its engine is gone, as every service sharing it closes", async () => {
    const other = await Engine.load({ modelPath: await testModelPath(), contextSize: 256 });
    const chat = await other.openChat({ drafting: "off" });
    await other.dispose();
    await expect(chat.release()).resolves.toBeUndefined();
    await expect(chat.reply(prompt, { maxTokens: 2 })).rejects.toThrow(/disposed/i);
  });

  it("stops at maxTokens and reports why", async () => {
    const chat = await engine.openChat();
    const reply = await chat.reply(prompt, { maxTokens: 5 });
    await chat.dispose();
    expect(reply.tokens.length).toBe(5);
    expect(reply.stopReason).toBe("maxTokens");
  });

  it("stops when aborted and keeps what it wrote", async () => {
    const chat = await engine.openChat();
    const controller = new AbortController();
    let chunks = 0;
    const reply = await chat.reply(prompt, {
      maxTokens: 200,
      signal: controller.signal,
      onText: () => {
        if (++chunks === 3) controller.abort();
      },
    });
    await chat.dispose();
    expect(reply.stopReason).toBe("abort");
    expect(reply.tokens.length).toBeGreaterThanOrEqual(3);
    expect(reply.tokens.length).toBeLessThan(200);
  });
});
