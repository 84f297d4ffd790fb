import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError, type RepriseApi, type StreamEvent } from "../../electron/api/contract";
import { createHttpClient, takeTokenFromPage } from "../../electron/api/httpClient";
import { startTestServer, type TestServer } from "./helpers";

let t: TestServer;
let api: RepriseApi;

beforeAll(async () => {
  t = await startTestServer({ maxTokens: 24 });
  api = createHttpClient({ baseUrl: t.server.url, token: () => t.token });
});
afterAll(() => t?.close());

async function waitFor<T>(probe: () => Promise<T>, ok: (value: T) => boolean, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the contract over HTTP (createHttpClient against the server)", () => {
  it("creates, lists, renames, pins, finds, exports, imports and deletes conversations", async () => {
    const created = await api.createConversation({ title: "Tea notes" });
    expect(created.title).toBe("Tea notes");
    t.store.appendMessage({ conversationId: created.id, role: "user", content: "How long should green tea steep?" });

    expect((await api.renameConversation({ conversationId: created.id, title: "Green tea" })).title).toBe("Green tea");
    expect((await api.pinConversation({ conversationId: created.id, pinned: true })).pinned).toBe(true);
    const other = await api.createConversation({});
    const list = await api.listConversations({ limit: 10 });
    // Pinned first.
    expect(list.items.map((c) => c.id)).toEqual([created.id, other.id]);
    const filtered = await api.listConversations({ query: "steep" });
    expect(filtered.items.map((c) => c.id)).toEqual([created.id]);
    const { hits } = await api.search({ q: "green tea" });
    expect(hits[0]?.conversationId).toBe(created.id);

    const markdown = await api.exportConversations({ conversationIds: [created.id], format: "markdown" });
    expect(markdown.fileName).toBe("green-tea.md");
    expect(markdown.content).toContain("How long should green tea steep?");
    const file = await api.exportConversations({ conversationIds: [created.id], format: "json" });
    const imported = await api.importConversations({ content: file.content });
    expect(imported.conversationIds).toHaveLength(1);
    expect(imported.conversationIds[0]).not.toBe(created.id);

    expect(await api.deleteConversation({ conversationId: created.id })).toEqual({ deleted: true });
    const gone = await api.getConversation({ conversationId: created.id }).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(ApiError);
    expect(gone).toMatchObject({ code: "not_found", status: 404 });
  });

  it("reads and updates settings, validated on the way in", async () => {
    const before = await api.getSettings({});
    const after = await api.updateSettings({ systemPrompt: "Be brief." });
    expect(after).toEqual({ ...before, systemPrompt: "Be brief." });
    await expect(api.updateSettings({ temperature: 7 })).rejects.toMatchObject({ code: "bad_request" });
    await api.updateSettings({ systemPrompt: "" });
  });

  it("reports health and the model", async () => {
    const health = await api.health({});
    expect(health.ok).toBe(true);
    expect(health.model).toMatchObject({ state: "ready", threads: 1, busy: { generating: null, queued: [] } });
    // A path that is no model is refused, and the model in use stays.
    await expect(api.selectModel({ path: "/nonexistent/model.gguf" })).rejects.toMatchObject({
      code: "bad_request",
      status: 400,
      message: expect.stringContaining("/nonexistent/model.gguf"),
    });
    expect((await api.modelStatus({})).state).toBe("ready");
  });
});

describe("streaming replies over HTTP", () => {
  it("streams start, tokens and done; the stored answer is the streamed text", async () => {
    const { id } = await api.createConversation({});
    const events: StreamEvent[] = [];
    const end = await api.sendMessage({ conversationId: id, text: "Say hello." }, (e) => events.push(e));
    expect(end.type).toBe("done");
    expect(events[0]?.type).toBe("start");
    expect(events.at(-1)).toEqual(end);
    const streamed = events.map((e) => (e.type === "token" ? e.text : "")).join("");
    const detail = await api.getConversation({ conversationId: id });
    expect(detail.messages.map((m) => m.status)).toEqual(["complete", "complete"]);
    expect(detail.messages[1]!.content).toBe(streamed);
    expect(streamed.length).toBeGreaterThan(0);
    expect((await api.getMessage({ messageId: detail.messages[1]!.id })).conversationId).toBe(id);
  });

  it("stops a reply when the client disconnects: the partial answer is kept, interrupted", async () => {
    await api.updateSettings({ maxTokens: 400 });
    try {
      const { id } = await api.createConversation({});
      const controller = new AbortController();
      let tokens = 0;
      const outcome = await api
        .sendMessage({ conversationId: id, text: "Tell me a long story." }, (e) => {
          if (e.type === "token" && ++tokens === 5) controller.abort();
        }, controller.signal)
        .catch((e: Error) => e);
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error).name).toBe("AbortError");
      const detail = await waitFor(
        () => api.getConversation({ conversationId: id }),
        (d) => d.messages[1]?.status !== "streaming",
      );
      expect(detail.messages[1]).toMatchObject({ status: "interrupted" });
      expect(detail.messages[1]!.content.length).toBeGreaterThan(0);
      expect(detail.messages[1]!.stats!.tokens).toBeLessThan(400);
    } finally {
      await api.updateSettings({ maxTokens: 24 });
    }
  });

  it("stops a reply with the stop operation, which the stream then reports as done", async () => {
    await api.updateSettings({ maxTokens: 400 });
    try {
      const { id } = await api.createConversation({});
      let stop: Promise<{ stopped: boolean }> | undefined;
      let tokens = 0;
      const end = await api.sendMessage({ conversationId: id, text: "Tell me another long story." }, (e) => {
        if (e.type === "token" && ++tokens === 5) stop = api.stop({ conversationId: id });
      });
      expect(await stop).toEqual({ stopped: true });
      expect(end).toMatchObject({ type: "done", message: { status: "interrupted" } });
    } finally {
      await api.updateSettings({ maxTokens: 24 });
    }
  });
});

describe("the browser token", () => {
  it("is taken from the URL fragment into sessionStorage, and the fragment removed", () => {
    const storage = new Map<string, string>();
    const replaced: string[] = [];
    const page = {
      location: { hash: "#token=abc123", pathname: "/", search: "?x=1" },
      history: { replaceState: (_d: unknown, _u: string, url?: string) => void replaced.push(url ?? "") },
      sessionStorage: { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v) },
    };
    expect(takeTokenFromPage(page)).toBe("abc123");
    expect(replaced).toEqual(["/?x=1"]);
    // A reload has no fragment any more; the token comes from sessionStorage.
    page.location.hash = "";
    expect(takeTokenFromPage(page)).toBe("abc123");
  });
});
