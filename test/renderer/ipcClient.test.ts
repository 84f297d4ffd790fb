import { describe, expect, it, vi } from "vitest";
import { ApiError, operationNames, type StreamEvent } from "../../electron/api/contract";
import type { RepriseBridge } from "../../electron/shell/channels";
import { createIpcClient } from "../../renderer/src/lib/ipcClient";

function bridge(): RepriseBridge & { aborted: string[] } {
  const aborted: string[] = [];
  return {
    aborted,
    invoke: vi.fn(async (name: string) =>
      name === "getConversation" ? { ok: false as const, error: { code: "not_found" as const, error: "No such conversation" } } : { ok: true as const, value: { name } },
    ),
    stream: vi.fn(async (_name, _request, streamId: string, onEvent: (event: StreamEvent) => void) => {
      onEvent({ type: "token", text: "hi" });
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { ok: true as const, value: { type: "error" as const, message: `ended ${streamId}`, messageId: null } };
    }),
    abortStream: (id: string) => aborted.push(id),
    pickModelFile: async () => null,
    onMenuCommand: () => () => {},
  };
}

describe("the IPC client", () => {
  it("has every contract operation", () => {
    const api = createIpcClient(bridge());
    for (const name of operationNames) expect(typeof api[name]).toBe("function");
  });

  it("returns values and throws ApiErrors with their code", async () => {
    const api = createIpcClient(bridge());
    await expect(api.listConversations({})).resolves.toEqual({ name: "listConversations" });
    const error = await api.getConversation({ conversationId: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("not_found");
  });

  it("streams events and turns an abort signal into an abort of that stream", async () => {
    const b = bridge();
    const api = createIpcClient(b);
    const events: StreamEvent[] = [];
    const controller = new AbortController();
    const pending = api.sendMessage({ conversationId: "c", text: "t" }, (e) => events.push(e), controller.signal);
    controller.abort();
    const end = await pending;
    expect(events).toEqual([{ type: "token", text: "hi" }]);
    expect(b.aborted).toHaveLength(1);
    expect(end.type === "error" && end.message).toBe(`ended ${b.aborted[0]}`);
  });
});
