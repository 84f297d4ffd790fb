import { describe, expect, it } from "vitest";
import type { Store } from "../../db/index";
import { MAX_REPLY_TOKENS } from "../../electron/api/contract";
import { GenerationQueue } from "../../electron/chat/queue";
import { replyTokenLimit } from "../../electron/chat/replyRunner";
import { StreamingWriter } from "../../electron/chat/streamingWriter";
import { titleFrom, untitled } from "../../electron/chat/title";

describe("titles", () => {
  it("are the question's first six words, marked when cut", () => {
    expect(titleFrom("What is the capital of France?")).toBe("What is the capital of France?");
    expect(titleFrom("  How do I   make a really good cup of tea at home?")).toBe("How do I make a really…");
    expect(titleFrom("Supercalifragilisticexpialidocious".repeat(3))).toHaveLength(61);
    expect(titleFrom(" \n ")).toBe(untitled);
  });
});

describe("a reply's token limit", () => {
  it("is the request's, else the setting, and never over the one hard cap", () => {
    expect(replyTokenLimit(undefined, 512)).toBe(512);
    expect(replyTokenLimit(100, 512)).toBe(100);
    expect(replyTokenLimit(4096, 512)).toBe(4096);
    expect(replyTokenLimit(1_000_000_000, 512)).toBe(MAX_REPLY_TOKENS);
  });
});

describe("the generation queue", () => {
  it("lets the app's jobs go ahead of waiting requests that give way, and asks a running one to stop", async () => {
    const queue = new GenerationQueue();
    const started: string[] = [];
    const releases = new Map<string, () => void>();
    let apiPreempted: AbortSignal | undefined;
    const job = (name: string, givesWay: boolean) =>
      queue.enqueue({
        label: { conversationId: name, messageId: name },
        givesWay,
        run: ({ preempted }) => {
          started.push(name);
          if (name === "api-1") apiPreempted = preempted;
          return new Promise<string>((resolve) => releases.set(name, () => resolve(name)));
        },
      });
    const api1 = job("api-1", true);
    const api2 = job("api-2", true);
    expect(apiPreempted?.aborted).toBe(false);
    // An app job would wait only for the running request; another request, for both.
    expect(queue.ahead()).toBe(1);
    expect(queue.ahead(true)).toBe(2);
    const app = job("app", false);
    // The app's reply is next, ahead of the request that came before it, and the running request is asked to stop.
    expect(app.position).toBe(1);
    expect(queue.state().queued.map((l) => l.messageId)).toEqual(["app", "api-2"]);
    expect(apiPreempted?.aborted).toBe(true);
    releases.get("api-1")!();
    expect(await api1.result).toBe("api-1");
    releases.get("app")!();
    expect(await app.result).toBe("app");
    releases.get("api-2")!();
    expect(await api2.result).toBe("api-2");
    expect(started).toEqual(["api-1", "app", "api-2"]);
  });

  it("runs jobs one at a time in order, and drops a waiting job whose signal aborts", async () => {
    const queue = new GenerationQueue();
    const log: string[] = [];
    let release = () => {};
    const first = queue.enqueue({
      label: { conversationId: "a", messageId: "1" },
      run: () => new Promise<string>((resolve) => (release = () => resolve("first"))),
    });
    const controller = new AbortController();
    const dropped = queue.enqueue({
      label: { conversationId: "b", messageId: "2" },
      signal: controller.signal,
      run: async () => {
        log.push("dropped job ran");
        return "never";
      },
      whenDropped: () => "dropped",
    });
    const third = queue.enqueue({ label: { conversationId: "c", messageId: "3" }, run: async () => "third" });
    expect([first.position, dropped.position, third.position]).toEqual([0, 1, 2]);
    expect(queue.state()).toEqual({
      generating: { conversationId: "a", messageId: "1" },
      queued: [
        { conversationId: "b", messageId: "2" },
        { conversationId: "c", messageId: "3" },
      ],
    });
    controller.abort();
    expect(await dropped.result).toBe("dropped");
    expect(queue.state().queued).toEqual([{ conversationId: "c", messageId: "3" }]);
    release();
    expect(await first.result).toBe("first");
    expect(await third.result).toBe("third");
    expect(log).toEqual([]);
    expect(queue.idle).toBe(true);
  });
});

describe("the streaming writer", () => {
  const recordingStore = (writes: string[]) =>
    ({ updateStreamingContent: (_id: string, text: string) => void writes.push(text) }) as unknown as Store;

  it("writes at once, then at most once per interval, and the text of a pause too", async () => {
    const writes: string[] = [];
    const writer = new StreamingWriter(recordingStore(writes), "m", 100);
    writer.update("a");
    writer.update("ab");
    writer.update("abc");
    expect(writes).toEqual(["a"]);
    for (let waited = 0; writes.length < 2 && waited < 5000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(writes).toEqual(["a", "abc"]);
    writer.close();
  });

  it("writes nothing more once closed: the final text is the caller's to store", async () => {
    const writes: string[] = [];
    const writer = new StreamingWriter(recordingStore(writes), "m", 50);
    writer.update("x");
    writer.update("xy");
    writer.close();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(writes).toEqual(["x"]);
  });
});
