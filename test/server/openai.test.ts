import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StreamEvent } from "../../electron/api/contract";
import { expectDone } from "../chat/helpers";
import { startTestServer, type TestServer } from "./helpers";

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ maxTokens: 24 });
});
afterAll(() => t?.close());

const messages = [
  { role: "system", content: "You are a storyteller." },
  // A question whose answer runs past max_tokens, so the completion ends by length.
  { role: "user", content: "Tell me a long story about the colour of the sky." },
];

function post(body: unknown, headers: Record<string, string> = {}) {
  return t.api("/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

interface Completion {
  object: string;
  model: string;
  choices: { index: number; message: { role: string; content: string }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

describe("OpenAI-compatible endpoints", () => {
  it("lists the loaded model", async () => {
    const res = await t.api("/v1/models");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; data: { id: string; object: string }[] };
    expect(body.object).toBe("list");
    expect(body.data).toEqual([expect.objectContaining({ id: "SmolLM2-135M-Instruct.Q4_1.gguf", object: "model" })]);
  });

  it("completes without streaming, and streams the same text chunk by chunk", async () => {
    const res = await post({ model: "anything", messages, max_tokens: 6, temperature: 0, top_p: 1, user: "ignored" });
    expect(res.status).toBe(200);
    const completion = (await res.json()) as Completion;
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0]!.message.role).toBe("assistant");
    expect(completion.choices[0]!.message.content.length).toBeGreaterThan(0);
    expect(completion.choices[0]!.finish_reason).toBe("length");
    expect(completion.usage.completion_tokens).toBe(6);
    expect(completion.usage.prompt_tokens).toBeGreaterThan(5);

    const streamed = await post({ messages, max_tokens: 6, temperature: 0, stream: true });
    expect(streamed.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const lines = (await streamed.text()).split("\n\n").filter((l) => l.startsWith("data: "));
    expect(lines.at(-1)).toBe("data: [DONE]");
    const chunks = lines.slice(0, -1).map((l) => JSON.parse(l.slice(6)) as { object: string; choices: { delta: { content?: string }; finish_reason: string | null }[] });
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("length");
    // Greedy decoding: the streamed text is the same as the non-streamed one.
    expect(chunks.map((c) => c.choices[0]!.delta.content ?? "").join("")).toBe(completion.choices[0]!.message.content);
    // These requests are not stored as conversations.
    expect((await t.service.listConversations({})).items).toEqual([]);
  });

  it("accepts content given as text parts", async () => {
    const res = await post({
      messages: [{ role: "user", content: [{ type: "text", text: "What colour " }, { type: "text", text: "is grass?" }] }],
      max_tokens: 4,
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Completion).usage.completion_tokens).toBe(4);
  });

  it("refuses bad requests in OpenAI's error shape", async () => {
    const lastNotUser = await post({ messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "hello" }] });
    expect(lastNotUser.status).toBe(400);
    const body = (await lastNotUser.json()) as { error: { message: string; type: string } };
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toMatch(/last message must be the user's/);

    const badRole = await post({ messages: [{ role: "tool", content: "x" }] });
    expect(badRole.status).toBe(400);
    expect(((await badRole.json()) as { error: { message: string } }).error.message).toMatch(/body\.messages\[0\]\.role/);

    const unauthorized = await fetch(`${t.server.url}/v1/chat/completions`, { method: "POST", body: "{}" });
    expect(unauthorized.status).toBe(401);
    expect((await t.api("/v1/embeddings", { method: "POST" })).status).toBe(404);
  });
});

describe("OpenAI-compatible endpoints beside the app (issue 15)", () => {
  const story = [{ role: "user", content: "Write a very long story about a dragon who learns to sail." }];

  it("keeps to the app's reply length when a request names none", async () => {
    const res = await post({ messages: story });
    expect(res.status).toBe(200);
    const completion = (await res.json()) as Completion;
    // The app's setting here is 24 tokens; the story would run for hundreds.
    expect(completion.usage.completion_tokens).toBe(24);
    expect(completion.choices[0]!.finish_reason).toBe("length");
  });

  it("gives way to a reply of the app: the reply starts before a long request would have finished", async () => {
    const order: string[] = [];
    let sent: Promise<unknown> | undefined;
    const { id } = await t.service.createConversation({});
    const onEvent = (event: StreamEvent) => {
      if (event.type !== "token" || order.at(-1) !== "app token") order.push(`app ${event.type}`);
    };
    const res = await post({ messages: story, max_tokens: 2000, stream: true });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      text += decoder.decode(chunk.value);
      for (const line of text.split("\n\n").slice(0, -1)) {
        if (!line.startsWith("data: {")) continue;
        const delta = JSON.parse(line.slice(6)) as { choices: { delta: { content?: string }; finish_reason: string | null }[] };
        const choice = delta.choices[0]!;
        if (choice.finish_reason) order.push(`api finished: ${choice.finish_reason}`);
        else if (choice.delta.content) order.push("api token");
      }
      text = text.split("\n\n").at(-1)!;
      // Five tokens in, the user sends a message in the app.
      if (!sent && order.filter((e) => e === "api token").length >= 5) {
        sent = t.service.sendMessage({ conversationId: id, text: "Hello there." }, onEvent);
      }
    }
    const end = expectDone((await sent) as Awaited<ReturnType<typeof t.service.sendMessage>>);
    expect(end.message.status).toBe("complete");
    const apiTokens = order.filter((e) => e === "api token").length;
    // The request stopped at its next token, far short of its 2,000, and said it was cut short.
    expect(apiTokens).toBeLessThan(20);
    expect(order).toContain("api finished: length");
    // The app's reply was announced while the request ran, and its tokens came once the request stopped.
    expect(order.indexOf("app start")).toBeLessThan(order.indexOf("api finished: length"));
    expect(order.indexOf("app token")).toBeGreaterThan(order.indexOf("api finished: length"));
    expect(order.at(-1)).toBe("app done");
  });
});
