import { describe, expect, it, vi } from "vitest";
import { ApiError, MAX_MESSAGE_CHARS, operationNames, type RepriseApi, type StreamEvent } from "../../electron/api/contract";
import { abortStreamChannel, apiChannelPrefix, streamEventChannel } from "../../electron/shell/channels";
import { registerApiHandlers } from "../../electron/shell/ipc";
import { FakeIpcMain, FakeSender, invokeEvent } from "./fakeIpc";

/** A service whose every operation records its call; streams wait until aborted. */
function fakeService() {
  const calls: { name: string; args: unknown[] }[] = [];
  const api: Record<string, unknown> = {};
  for (const name of operationNames) {
    api[name] = vi.fn(async (...args: unknown[]) => {
      calls.push({ name, args });
      if (name === "renameConversation") throw new ApiError("not_found", "No conversation c9");
      if (name === "sendMessage") {
        const [, onEvent, signal] = args as [unknown, (e: StreamEvent) => void, AbortSignal];
        onEvent({ type: "token", text: "Hel" });
        onEvent({ type: "token", text: "lo" });
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
        return { type: "error", message: "stopped", messageId: null };
      }
      return { called: name };
    });
  }
  return { api: api as unknown as RepriseApi, calls };
}

function setup(trusted = true) {
  const ipc = new FakeIpcMain();
  const service = fakeService();
  const unregister = registerApiHandlers(ipc.asIpcMain(), service.api, () => trusted);
  const sender = new FakeSender();
  const call = (name: string, ...args: unknown[]) => ipc.invoke(apiChannelPrefix + name, invokeEvent(sender), ...args);
  return { ipc, service, sender, call, unregister };
}

describe("registerApiHandlers", () => {
  it("registers exactly one handler per contract operation, and removes them again", () => {
    const { ipc, unregister } = setup();
    expect([...ipc.handlers.keys()].sort()).toEqual(operationNames.map((name) => apiChannelPrefix + name).sort());
    unregister();
    expect(ipc.handlers.size).toBe(0);
    expect(ipc.listenerCount(abortStreamChannel)).toBe(0);
  });

  it("passes a valid request to the service and returns its result", async () => {
    const { call, service } = setup();
    await expect(call("getConversation", { conversationId: "c1" })).resolves.toEqual({ ok: true, value: { called: "getConversation" } });
    expect(service.calls).toEqual([{ name: "getConversation", args: [{ conversationId: "c1" }] }]);
  });

  const malformed: [string, string, unknown[]][] = [
    ["no argument", "getConversation", []],
    ["an extra argument", "getConversation", [{ conversationId: "c1" }, "extra"]],
    ["a string instead of an object", "getConversation", ["c1"]],
    ["null", "getConversation", [null]],
    ["an array", "getConversation", [["c1"]]],
    ["a missing field", "getConversation", [{}]],
    ["a field of the wrong type", "getConversation", [{ conversationId: 42 }]],
    ["an empty id", "getConversation", [{ conversationId: "" }]],
    ["an unknown field", "getConversation", [{ conversationId: "c1", admin: true }]],
    ["a prototype-polluting field", "getConversation", [JSON.parse('{"conversationId":"c1","__proto__":{"x":1}}')]],
    ["a non-boolean pin", "pinConversation", [{ conversationId: "c1", pinned: "yes" }]],
    ["a title that is too long", "renameConversation", [{ conversationId: "c1", title: "t".repeat(201) }]],
    ["a message that is too long", "sendMessage", [{ conversationId: "c1", text: "x".repeat(MAX_MESSAGE_CHARS + 1) }, "s1"]],
    ["a stream without its id", "sendMessage", [{ conversationId: "c1", text: "hi" }]],
    ["a stream id that is not a string", "sendMessage", [{ conversationId: "c1", text: "hi" }, { id: 1 }]],
    ["a temperature out of range", "updateSettings", [{ temperature: 9 }]],
    ["an unknown drafting mode", "updateSettings", [{ drafting: "turbo" }]],
    ["a fractional limit", "search", [{ q: "x", limit: 1.5 }]],
    ["an export format that does not exist", "exportConversations", [{ format: "html" }]],
  ];

  it.each(malformed)("rejects %s without calling the service", async (_what, name, args) => {
    const { call, service } = setup();
    const result = (await call(name, ...args)) as { ok: boolean; error: { code: string; error: string } };
    expect(result.ok).toBe(false);
    expect(result.error.code).toBe("bad_request");
    expect(result.error.error).toMatch(/request|arguments|streamId/);
    expect(service.calls).toEqual([]);
  });

  it("refuses every call from a page that is not the app", async () => {
    const { call, service } = setup(false);
    for (const name of operationNames) {
      const result = (await call(name, {})) as { ok: boolean; error: { code: string } };
      expect(result).toMatchObject({ ok: false, error: { code: "forbidden" } });
    }
    expect(service.calls).toEqual([]);
  });

  it("keeps the code of the service's errors", async () => {
    const { call } = setup();
    await expect(call("renameConversation", { conversationId: "c9", title: "x" })).resolves.toEqual({
      ok: false,
      error: { code: "not_found", error: "No conversation c9" },
    });
  });

  it("forwards a stream's events to its page under its id, and stops it on abort", async () => {
    const { ipc, call, sender } = setup();
    const pending = call("sendMessage", { conversationId: "c1", text: "hi" }, "stream-1");
    await vi.waitFor(() => expect(sender.sent).toHaveLength(2));
    expect(sender.sent).toEqual([
      { channel: streamEventChannel, args: ["stream-1", { type: "token", text: "Hel" }] },
      { channel: streamEventChannel, args: ["stream-1", { type: "token", text: "lo" }] },
    ]);
    // A malformed or unknown id stops nothing.
    ipc.emit(abortStreamChannel, invokeEvent(sender), 17);
    ipc.emit(abortStreamChannel, invokeEvent(sender), "other");
    ipc.emit(abortStreamChannel, invokeEvent(sender), "stream-1");
    await expect(pending).resolves.toEqual({ ok: true, value: { type: "error", message: "stopped", messageId: null } });
  });

  it("stops a stream whose page goes away", async () => {
    const { call, sender } = setup();
    const pending = call("sendMessage", { conversationId: "c1", text: "hi" }, "stream-2");
    await vi.waitFor(() => expect(sender.sent.length).toBeGreaterThan(0));
    sender.destroy();
    await expect(pending).resolves.toMatchObject({ ok: true });
  });

  it("refuses a second stream under an id that is in use", async () => {
    const { ipc, call, sender } = setup();
    const first = call("sendMessage", { conversationId: "c1", text: "hi" }, "same");
    await vi.waitFor(() => expect(sender.sent.length).toBeGreaterThan(0));
    await expect(call("sendMessage", { conversationId: "c1", text: "hi" }, "same")).resolves.toMatchObject({
      ok: false,
      error: { code: "bad_request" },
    });
    ipc.emit(abortStreamChannel, invokeEvent(sender), "same");
    await first;
  });
});
