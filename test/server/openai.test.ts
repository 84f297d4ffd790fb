import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
    const res = await post({ model: "anything", messages, max_tokens: 16, temperature: 0, top_p: 1, user: "ignored" });
    expect(res.status).toBe(200);
    const completion = (await res.json()) as Completion;
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0]!.message.role).toBe("assistant");
    expect(completion.choices[0]!.message.content.length).toBeGreaterThan(0);
    expect(completion.choices[0]!.finish_reason).toBe("length");
    expect(completion.usage.completion_tokens).toBe(16);
    expect(completion.usage.prompt_tokens).toBeGreaterThan(5);

    const streamed = await post({ messages, max_tokens: 16, stream: true });
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
