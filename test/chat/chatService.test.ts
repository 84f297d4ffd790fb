import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ApiError, type StartEvent } from "../../electron/api/contract";
import { expectDone, recorder, startService, type TestService } from "./helpers";

let t: TestService;

beforeAll(async () => {
  // A small window, so that the overflow test needs little history to fill it.
  t = await startService({ contextSize: 1024, maxTokens: 24 });
});
afterAll(() => t?.close());

describe("chat service on the real model", () => {
  it("runs a three-turn conversation: stored, streamed, titled, each reply with its stats", async () => {
    const { id } = await t.service.createConversation({});
    const questions = ["What is the capital of France?", "And the capital of Italy?", "Which of the two is larger?"];
    for (const text of questions) {
      const r = recorder();
      const end = expectDone(await t.service.sendMessage({ conversationId: id, text }, r.onEvent));
      expect(r.events[0]?.type).toBe("start");
      expect(end.message.status).toBe("complete");
      expect(end.message.content.length).toBeGreaterThan(0);
      // What streamed is what was stored.
      expect(r.text).toBe(end.message.content);
      expect(end.message.stats?.tokens).toBeGreaterThan(0);
      expect(end.message.stats?.firstTokenMs).toBeGreaterThan(0);
    }
    const detail = await t.service.getConversation({ conversationId: id });
    expect(detail.messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user", "assistant"]);
    expect(detail.messages.filter((m) => m.role === "user").map((m) => m.content)).toEqual(questions);
    expect(detail.messages.every((m) => m.status === "complete")).toBe(true);
    expect(detail.generatingMessageId).toBeNull();
    expect(detail.conversation.title).toBe("What is the capital of France?");
    // Each turn reads the whole conversation so far.
    const prompts = detail.messages.filter((m) => m.role === "assistant").map((m) => m.stats?.promptTokens ?? 0);
    expect(prompts[1]).toBeGreaterThan(prompts[0]!);
    expect(prompts[2]).toBeGreaterThan(prompts[1]!);
  });

  it("stops in the middle of a reply: the partial answer is kept, status interrupted", async () => {
    await t.service.updateSettings({ maxTokens: 400 });
    try {
      const { id } = await t.service.createConversation({});
      const r = recorder();
      let tokens = 0;
      let stopped: Promise<{ stopped: boolean }> | undefined;
      const end = expectDone(
        await t.service.sendMessage({ conversationId: id, text: "Write a long story about a dragon." }, (event) => {
          r.onEvent(event);
          if (event.type === "token" && ++tokens === 5) stopped = t.service.stop({ conversationId: id });
        }),
      );
      expect(await stopped).toEqual({ stopped: true });
      expect(end.message.status).toBe("interrupted");
      expect(end.message.content.length).toBeGreaterThan(0);
      expect(end.message.stats!.tokens).toBeLessThan(400);
      const stored = (await t.service.getConversation({ conversationId: id })).messages;
      expect(stored.map((m) => m.status)).toEqual(["complete", "interrupted"]);
      expect(stored[1]!.content).toBe(end.message.content);
      expect(r.text).toBe(end.message.content);
    } finally {
      await t.service.updateSettings({ maxTokens: 24 });
    }
  });

  it("regenerates an answer as a new active sibling", async () => {
    const { id } = await t.service.createConversation({});
    const first = expectDone(await t.service.sendMessage({ conversationId: id, text: "Name a colour." }, () => {}));
    const r = recorder();
    const again = expectDone(await t.service.regenerate({ messageId: first.message.id }, r.onEvent));
    expect((r.events[0] as StartEvent).userMessage).toBeNull();
    expect(again.message.id).not.toBe(first.message.id);
    expect(again.message.parentId).toBe(first.message.parentId);
    // Greedy decoding of the same conversation gives the same answer again.
    expect(again.message.content).toBe(first.message.content);
    const path = (await t.service.getConversation({ conversationId: id })).messages;
    expect(path.map((m) => m.id)).toEqual([first.message.parentId, again.message.id]);
    expect(path[1]!.siblingIds).toEqual([first.message.id, again.message.id]);
  });

  it("edits a question into a new branch, and switches back to the original", async () => {
    const { id } = await t.service.createConversation({});
    const q1 = expectDone(await t.service.sendMessage({ conversationId: id, text: "What is two plus two?" }, () => {}));
    const q2 = expectDone(await t.service.sendMessage({ conversationId: id, text: "And three plus three?" }, () => {}));
    const original = (await t.service.getConversation({ conversationId: id })).messages;
    expect(original).toHaveLength(4);

    const r = recorder();
    const edited = expectDone(
      await t.service.editMessage({ messageId: original[2]!.id, text: "And five plus five?" }, r.onEvent),
    );
    const start = r.events[0] as StartEvent;
    expect(start.userMessage?.content).toBe("And five plus five?");
    const branch = (await t.service.getConversation({ conversationId: id })).messages;
    expect(branch.map((m) => m.content)).toEqual([
      "What is two plus two?",
      q1.message.content,
      "And five plus five?",
      edited.message.content,
    ]);
    expect(branch[2]!.siblingIds).toEqual([original[2]!.id, start.userMessage!.id]);

    const back = await t.service.switchBranch({ messageId: original[2]!.id });
    expect(back.messages.map((m) => m.id)).toEqual(original.map((m) => m.id));
    expect(back.messages[3]!.content).toBe(q2.message.content);
  });

  it("runs one generation at a time: a second reply waits in the queue, the busy state shows both", async () => {
    const a = await t.service.createConversation({});
    const b = await t.service.createConversation({});
    const log: string[] = [];
    const startB = recorder();
    const first = t.service.sendMessage({ conversationId: a.id, text: "Count to ten." }, (e) => log.push(`a:${e.type}`));
    const second = t.service.sendMessage({ conversationId: b.id, text: "Count to five." }, (e) => {
      log.push(`b:${e.type}`);
      startB.onEvent(e);
    });
    // Both are stored and queued before either has produced a token.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const busy = (await t.service.modelStatus({})).busy;
    expect(busy.generating?.conversationId).toBe(a.id);
    expect(busy.queued.map((q) => q.conversationId)).toEqual([b.id]);
    expect((startB.events[0] as StartEvent).queuePosition).toBe(1);
    expect((await t.service.getConversation({ conversationId: b.id })).generatingMessageId).toBe(
      (startB.events[0] as StartEvent).message.id,
    );
    expectDone(await first);
    expectDone(await second);
    // B's first token came only after A was done.
    expect(log.indexOf("b:token")).toBeGreaterThan(log.indexOf("a:done"));
    expect(log.indexOf("a:done")).toBeGreaterThan(log.indexOf("a:token"));
    expect((await t.service.modelStatus({})).busy).toEqual({ generating: null, queued: [] });
  });

  it("drops the oldest turns when the conversation outgrows the context window, and says so", async () => {
    const { id } = await t.service.createConversation({});
    // About 1,400 tokens of earlier turns in a 1,024-token window.
    const filler = "The quick brown fox jumps over the lazy dog near the river bank. ".repeat(10);
    for (let i = 0; i < 10; i++) {
      t.store.appendMessage({ conversationId: id, role: "user", content: `Question ${i}: ${filler}` });
      t.store.appendMessage({ conversationId: id, role: "assistant", content: `Answer ${i}: ${filler}` });
    }
    const end = expectDone(await t.service.sendMessage({ conversationId: id, text: "Summarize." }, () => {}));
    expect(end.truncatedTurns).toBeGreaterThan(0);
    expect(end.truncatedTurns % 2).toBe(0);
    expect(end.message.stats?.truncatedTurns).toBe(end.truncatedTurns);
    expect(end.message.stats!.promptTokens!).toBeLessThanOrEqual(1024 - 24);
    // The next reply keeps the same start, so the evaluated state is reused rather than re-read.
    const next = expectDone(await t.service.sendMessage({ conversationId: id, text: "Again." }, () => {}));
    expect(next.truncatedTurns).toBe(end.truncatedTurns);
  });

  it("refuses what cannot be done with the API's error codes, before storing anything", async () => {
    const missing = "00000000-0000-0000-0000-000000000000";
    await expect(t.service.sendMessage({ conversationId: missing, text: "hi" }, () => {})).rejects.toMatchObject({
      code: "not_found",
    });
    const { id } = await t.service.createConversation({});
    const answer = expectDone(await t.service.sendMessage({ conversationId: id, text: "Hello." }, () => {}));
    const edit = t.service.editMessage({ messageId: answer.message.id, text: "x" }, () => {});
    await expect(edit).rejects.toBeInstanceOf(ApiError);
    await expect(edit).rejects.toMatchObject({ code: "conflict" });
    expect((await t.service.getConversation({ conversationId: id })).messages).toHaveLength(2);
  });
});

describe("chat service, what a hostile probe found (issue 15)", () => {
  it("ends a reply stopped or deleted right after it starts (0, 10, 100 ms) as done + interrupted, never an error", async () => {
    // A long system prompt keeps the model reading for longer than 100 ms, so each stop lands before the first token.
    const systemPrompt = Array.from({ length: 30 }, (_, i) => `Rule ${i}: answer in plain words about the sea and its ships.`).join(" ");
    await t.service.updateSettings({ maxTokens: 200, systemPrompt });
    // Whatever waits in the model's queue (the first measurement of draft costs) goes first, so the
    // replies below start at once rather than being dropped from the queue.
    const warmUp = await t.service.createConversation({});
    expectDone(await t.service.sendMessage({ conversationId: warmUp.id, text: "Hello." }, () => {}));
    const logged = vi.spyOn(console, "error");
    try {
      for (const action of ["stop", "delete"] as const) {
        for (const delayMs of [0, 10, 100]) {
          const { id } = await t.service.createConversation({});
          const r = recorder();
          let acted: Promise<unknown> | undefined;
          const end = await t.service.sendMessage({ conversationId: id, text: "Tell me about the tides." }, (event) => {
            r.onEvent(event);
            if (event.type === "start") {
              setTimeout(() => {
                acted = action === "stop" ? t.service.stop({ conversationId: id }) : t.service.deleteConversation({ conversationId: id });
              }, delayMs);
            }
          });
          await acted;
          const label = `${action} after ${delayMs} ms`;
          expect(end.type, label).toBe("done");
          expect(r.events.map((e) => e.type).filter((type) => type !== "token"), label).toEqual(["start", "done"]);
          expect((end as Extract<typeof end, { type: "done" }>).message.status, label).toBe("interrupted");
          if (action === "stop") {
            const stored = (await t.service.getConversation({ conversationId: id })).messages.at(-1);
            expect(stored?.status, label).toBe("interrupted");
          }
        }
      }
      expect(logged).not.toHaveBeenCalled();
    } finally {
      logged.mockRestore();
      await t.service.updateSettings({ maxTokens: 24, systemPrompt: "" });
    }
  });

  it("keeps the working model when asked to load a file that is not one, and never quotes the file", async () => {
    const before = await t.service.modelStatus({});
    expect(before.state).toBe("ready");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-notmodel-"));
    try {
      const secret = path.join(dir, "shadow");
      fs.writeFileSync(secret, "root:$6$secret-hash:19000:0:99999:7:::\n");
      for (const file of [path.join(dir, "nonexistent.gguf"), secret]) {
        const refused = await t.service.selectModel({ path: file }).then(
          () => null,
          (error: ApiError) => error,
        );
        expect(refused, file).toBeInstanceOf(ApiError);
        expect(refused!.code).toBe("bad_request");
        expect(refused!.message).toContain(file);
        expect(refused!.message).not.toMatch(/root|secret/);
        const after = await t.service.modelStatus({});
        expect(after.state).toBe("ready");
        expect(after.path).toBe(before.path);
      }
      const { id } = await t.service.createConversation({});
      expect(expectDone(await t.service.sendMessage({ conversationId: id, text: "Still there?" }, () => {})).message.status).toBe("complete");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("chat service without a model", () => {
  it("reports the model missing and stores nothing when asked to reply", async () => {
    const bare = await startService({ model: false });
    try {
      const health = await bare.service.health({});
      expect(health.ok).toBe(false);
      expect(health.model.state).toBe("missing");
      expect(health.model.message).toMatch(/model:fetch/);
      const { id } = await bare.service.createConversation({});
      await expect(bare.service.sendMessage({ conversationId: id, text: "hi" }, () => {})).rejects.toMatchObject({
        code: "model_unavailable",
      });
      expect((await bare.service.getConversation({ conversationId: id })).messages).toEqual([]);
    } finally {
      await bare.close();
    }
  });

  it("measures what drafts cost as soon as the model is ready, before anyone asks for a reply", async () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-cost-"));
    const fresh = await startService({ cacheDir });
    try {
      await expect
        .poll(() => fs.readdirSync(cacheDir).filter((name) => name.endsWith(".json")), { timeout: 180_000, interval: 250 })
        .toHaveLength(1);
      expect((await fresh.service.listConversations({})).items).toEqual([]);
    } finally {
      await fresh.close();
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  }, 200_000);
});
