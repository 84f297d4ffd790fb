// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import App from "../../renderer/src/App.svelte";
import type { Host } from "../../renderer/src/lib/host";
import { AppState } from "../../renderer/src/lib/state/app.svelte";
import { undoWindowMs } from "../../renderer/src/lib/state/conversations.svelte";
import { FakeApi, message, stats } from "./fakeApi";

function host(fake: FakeApi): Host {
  return {
    kind: "browser",
    api: fake.api,
    pickModelFile: null,
    onMenuCommand: () => () => {},
  };
}

function start(fake: FakeApi): AppState {
  const app = new AppState(host(fake), document.documentElement, null);
  render(App, { props: { app } });
  return app;
}

let fake: FakeApi;

beforeEach(() => {
  fake = new FakeApi();
});

describe("App", () => {
  it("lists conversations and opens the first one", async () => {
    start(fake);
    const list = await screen.findByRole("list", { name: "Conversations" });
    expect(within(list).getAllByRole("button", { name: /chat$/ }).map((b) => b.textContent?.trim())).toEqual([
      "First chat",
      "Second chat",
    ]);
    expect(await screen.findByRole("heading", { name: "First chat" })).toBeTruthy();
  });

  it("shows the first-run screen while there is no model and nothing to read", async () => {
    fake.model = { ...fake.model, state: "missing", path: null, name: null, message: "No model found: run npm run model:fetch." };
    fake.conversations = [];
    start(fake);
    expect(await screen.findByRole("heading", { name: "Welcome to Reprise" })).toBeTruthy();
    expect(screen.getByRole("alert").textContent).toContain("No model found");
    const path = screen.getByRole("textbox", { name: /Path of a GGUF file/ });
    await fireEvent.input(path, { target: { value: "/models/x.gguf" } });
    await fireEvent.click(screen.getByRole("button", { name: "Open" }));
    await waitFor(() => expect(fake.calls).toContainEqual({ name: "selectModel", request: { path: "/models/x.gguf" } }));
    expect(await screen.findByText(/Start a conversation/)).toBeTruthy();
  });

  it("keeps history readable without a model, and says how to get one", async () => {
    fake.model = { ...fake.model, state: "error", message: "The file is not a GGUF model." };
    start(fake);
    expect(await screen.findByRole("heading", { name: "First chat" })).toBeTruthy();
    expect(screen.getByRole("alert").textContent).toContain("not a GGUF model");
    expect((screen.getByRole("textbox", { name: "Message" }) as HTMLTextAreaElement).placeholder).toContain("No model");
  });

  it("streams a reply into the conversation and shows its speed badge", async () => {
    start(fake);
    const box = await screen.findByRole("textbox", { name: "Message" });
    await fireEvent.input(box, { target: { value: "What is 6 × 7?" } });
    await fireEvent.keyDown(box, { key: "Enter" });
    await waitFor(() => expect(fake.streams).toHaveLength(1));
    expect(fake.streams[0]!.request).toEqual({ conversationId: "c1", text: "What is 6 × 7?" });

    const user = message({ role: "user", content: "What is 6 × 7?" });
    const reply = message({ role: "assistant", content: "", status: "streaming" });
    fake.streams[0]!.emit({ type: "start", userMessage: user, message: reply, queuePosition: 0 });
    expect(await screen.findByRole("button", { name: /Stop/ })).toBeTruthy();
    fake.streams[0]!.emit({ type: "token", text: "It is **42**" });
    await waitFor(() => expect(document.querySelector(`[data-message-id="${reply.id}"] strong`)?.textContent).toBe("42"));

    const done = { ...reply, content: "It is **42**.", status: "complete" as const, stats: stats() };
    fake.streams[0]!.finish({ type: "done", message: done, truncatedTurns: 0 });
    const badge = await screen.findByRole("button", { name: /tok\/s/ });
    expect(badge.textContent).toContain("2.4× faster");
    expect(badge.title).toContain("3.0 tokens per forward pass");
    expect(badge.textContent).toContain("67% drafted from references");
    expect(screen.queryByRole("button", { name: /Stop/ })).toBeNull();
  });

  it("picks a conversation's own sampling preset in its header", async () => {
    start(fake);
    const select = (await screen.findByRole("combobox", { name: "Sampling" })) as HTMLSelectElement;
    expect(select.value).toBe("app");
    await fireEvent.change(select, { target: { value: "precise" } });
    await waitFor(() =>
      expect(fake.calls).toContainEqual({ name: "setConversationSampling", request: { conversationId: "c1", samplingPreset: "precise" } }),
    );
    await waitFor(() => expect(select.value).toBe("precise"));
  });

  it("sets the context size and threads in Settings, saying they apply at the next model load", async () => {
    // jsdom has no modal dialogs: opening one only has to show it.
    HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
      this.open = true;
    };
    const app = start(fake);
    await screen.findByRole("heading", { name: "First chat" });
    app.settingsOpen = true;
    const contextSize = await screen.findByRole("spinbutton", { name: /Context size/ });
    await fireEvent.change(contextSize, { target: { value: "8192" } });
    await fireEvent.change(screen.getByRole("spinbutton", { name: /Threads/ }), { target: { value: "1" } });
    await waitFor(() => expect(fake.calls).toContainEqual({ name: "updateSettings", request: { contextSize: 8192 } }));
    expect(fake.calls).toContainEqual({ name: "updateSettings", request: { threads: 1 } });
    expect(screen.getByText(/take effect the next time a model is loaded/)).toBeTruthy();
  });

  it("says in Settings and in the speed badge's tooltip where drafting is limited on the model's binary", async () => {
    HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
      this.open = true;
    };
    const limitation = 'Drafts are cut to 2 tokens per pass on node-llama-cpp\'s prebuilt llama.cpp. Run "npm run llama:build".';
    fake.model = { ...fake.model, drafting: { ...fake.model.drafting!, binary: "prebuilt", maxDraftTokens: 2, limitation } };
    const first = message({ role: "assistant", content: "Hello.", status: "complete", stats: stats() });
    fake.paths.set("c1", [first]);
    const app = start(fake);
    const badge = await screen.findByRole("button", { name: /tok\/s/ });
    expect(badge.title).toContain("3.0 tokens per forward pass");
    expect(badge.title).toContain(limitation);
    app.settingsOpen = true;
    expect(await screen.findByText("node-llama-cpp's prebuilt binary on the CPU: drafts of up to 2 tokens per pass")).toBeTruthy();
    expect(screen.getAllByRole("note").map((note) => note.textContent)).toContain(limitation);
  });

  it("shows in Settings what the calibration and the drafting self-check found", async () => {
    HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
      this.open = true;
    };
    const app = start(fake);
    app.settingsOpen = true;
    expect(
      await screen.findByText(
        "Self-check passed (drafts of 1 to 32 tokens rolled back, output unchanged). Plain decoding 95 tokens/s; at best 610 tokens/s when a 16-token batch is accepted whole.",
      ),
    ).toBeTruthy();
  });

  it("says in Settings that drafting is off, and why, when the self-check failed", async () => {
    HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
      this.open = true;
    };
    const failure = "with drafts rolled back, greedy decoding wrote another token than plain decoding at token 3 of 323";
    const limitation = `Replies are not drafted: the drafting self-check found that drafts change this model's replies on this llama.cpp binary (${failure}).`;
    fake.model = {
      ...fake.model,
      drafting: {
        ...fake.model.drafting!,
        maxDraftTokens: 0,
        selfCheck: { passed: false, checkedDraftTokens: 32, failure },
        bestTokensPerSecond: 95,
        bestBatchTokens: 1,
        limitation,
      },
    };
    const app = start(fake);
    app.settingsOpen = true;
    expect(await screen.findByText("Reprise's exact build on the CPU: no drafting")).toBeTruthy();
    expect(screen.getByText("Self-check failed: drafting is off. Plain decoding 95 tokens/s.")).toBeTruthy();
    expect(screen.getAllByRole("note").map((note) => note.textContent)).toContain(limitation);
  });

  it("keeps the tooltip to the reply's own numbers where drafting is not limited", async () => {
    const first = message({ role: "assistant", content: "Hello.", status: "complete", stats: stats() });
    fake.paths.set("c1", [first]);
    start(fake);
    const badge = await screen.findByRole("button", { name: /tok\/s/ });
    expect(badge.title).not.toContain("llama:build");
  });

  it("shows a thinking model's thought apart from its answer, collapsed", async () => {
    start(fake);
    const box = await screen.findByRole("textbox", { name: "Message" });
    await fireEvent.input(box, { target: { value: "What is 2 + 2?" } });
    await fireEvent.keyDown(box, { key: "Enter" });
    await waitFor(() => expect(fake.streams).toHaveLength(1));
    const reply = message({ role: "assistant", content: "", status: "streaming" });
    fake.streams[0]!.emit({ type: "start", userMessage: message({ role: "user", content: "What is 2 + 2?" }), message: reply, queuePosition: 0 });
    fake.streams[0]!.emit({ type: "thought", text: "Two and two " });
    fake.streams[0]!.emit({ type: "thought", text: "make four." });
    const row = () => document.querySelector(`[data-message-id="${reply.id}"]`)!;
    await waitFor(() => expect(row().querySelector("details.thought summary")?.textContent).toBe("Thinking…"));
    expect(row().querySelector(".thought-text")?.textContent).toBe("Two and two make four.");
    fake.streams[0]!.emit({ type: "token", text: "Four." });
    await waitFor(() => expect(row().querySelector(".markdown")?.textContent).toContain("Four."));

    const done = { ...reply, content: "Four.", thought: "Two and two make four.", status: "complete" as const, stats: stats() };
    fake.streams[0]!.finish({ type: "done", message: done, truncatedTurns: 0 });
    await waitFor(() => expect(row().querySelector("details.thought summary")?.textContent).toBe("Thought"));
    expect((row().querySelector("details.thought") as HTMLDetailsElement).open).toBe(false);
    expect(row().querySelector(".markdown")?.textContent).not.toContain("Two and two");
  });

  it("stops a reply through the API", async () => {
    start(fake);
    const box = await screen.findByRole("textbox", { name: "Message" });
    await fireEvent.input(box, { target: { value: "long story" } });
    await fireEvent.keyDown(box, { key: "Enter" });
    await waitFor(() => expect(fake.streams).toHaveLength(1));
    fake.streams[0]!.emit({
      type: "start",
      userMessage: message({ role: "user", content: "long story" }),
      message: message({ role: "assistant", content: "", status: "streaming" }),
      queuePosition: 0,
    });
    await fireEvent.click(await screen.findByRole("button", { name: /Stop/ }));
    expect(fake.calls).toContainEqual({ name: "stop", request: { conversationId: "c1" } });
  });

  it("marks the copied spans while the badge is hovered", async () => {
    const source = message({ role: "assistant", content: "The capital of France is Paris." });
    const reply = message({
      role: "assistant",
      content: "As said: The capital of France is Paris.",
      stats: stats({ copiedSpans: [{ sourceId: source.id, replyStartChar: 9, replyEndChar: 40 }] }),
    });
    fake.paths.set("c1", [message({ role: "user", content: "q" }), source, message({ role: "user", content: "again" }), reply]);
    start(fake);
    const badge = await screen.findByRole("button", { name: /tok\/s/ });
    await fireEvent.mouseEnter(badge.parentElement!);
    await waitFor(() =>
      expect(document.querySelector(`[data-message-id="${reply.id}"] mark.copied`)?.textContent).toBe("The capital of France is Paris."),
    );
    await fireEvent.mouseLeave(badge.parentElement!);
    await waitFor(() => expect(document.querySelector("mark.copied")).toBeNull());
  });

  it("opens a copied span's source from its mark, while the badge's list is open", async () => {
    const source = message({ id: "m-src", role: "assistant", content: "Rivers flow to the sea." });
    const reply = message({
      role: "assistant",
      content: "Rivers flow to the sea.",
      stats: stats({ copiedSpans: [{ sourceId: "m-src", replyStartChar: 0, replyEndChar: 23 }] }),
    });
    fake.paths.set("c1", [message({ role: "user", content: "q" }), source, message({ role: "user", content: "q2" }), reply]);
    const app = start(fake);
    await fireEvent.click(await screen.findByRole("button", { name: /tok\/s/ }));
    const mark = await waitFor(() => document.querySelector<HTMLElement>(`[data-message-id="${reply.id}"] mark.copied`)!);
    await fireEvent.click(mark);
    await waitFor(() => expect(app.focus?.messageId).toBe("m-src"));
  });

  it("opens the message a copied span came from, in its own conversation", async () => {
    const source = message({ id: "m-source", role: "assistant", content: "Paris is the capital." });
    fake.paths.set("c2", [message({ role: "user", content: "capital?" }), source]);
    fake.paths.set("c1", [
      message({ role: "user", content: "capital again?" }),
      message({
        role: "assistant",
        content: "Paris is the capital.",
        stats: stats({ copiedSpans: [{ sourceId: "m-source", replyStartChar: 0, replyEndChar: 21 }] }),
      }),
    ]);
    const app = start(fake);
    const badge = await screen.findByRole("button", { name: /tok\/s/ });
    await fireEvent.click(badge);
    await fireEvent.click(await screen.findByRole("button", { name: /open source message/ }));
    await waitFor(() => expect(app.chat?.conversationId).toBe("c2"));
    expect(fake.calls).toContainEqual({ name: "getMessage", request: { messageId: "m-source" } });
    await waitFor(() => expect(app.focus?.messageId).toBe("m-source"));
  });

  it("edits a question into a new branch and switches between branches", async () => {
    const question = message({ role: "user", content: "first try" });
    const answer = message({ role: "assistant", content: "answer one" });
    fake.paths.set("c1", [question, answer]);
    start(fake);
    await fireEvent.click(await screen.findByRole("button", { name: "Edit and resend" }));
    const edit = screen.getByRole("textbox", { name: "Edit message" });
    await fireEvent.input(edit, { target: { value: "second try" } });
    await fireEvent.keyDown(edit, { key: "Enter" });
    await waitFor(() => expect(fake.streams).toHaveLength(1));
    expect(fake.streams[0]!.request).toEqual({ messageId: question.id, text: "second try" });
    const edited = message({ role: "user", content: "second try" });
    const reply = message({ role: "assistant", content: "answer two", status: "streaming" });
    fake.streams[0]!.emit({ type: "start", userMessage: edited, message: reply, queuePosition: 0 });
    fake.streams[0]!.finish({ type: "done", message: { ...reply, status: "complete" }, truncatedTurns: 0 });

    const switcher = await screen.findByRole("group", { name: "Versions of this message" });
    expect(switcher.textContent).toContain("2 / 2");
    await fireEvent.click(within(switcher).getByRole("button", { name: "Previous version" }));
    expect(fake.calls).toContainEqual({ name: "switchBranch", request: { messageId: question.id } });
  });

  it("regenerates an answer", async () => {
    const answer = message({ role: "assistant", content: "meh" });
    fake.paths.set("c1", [message({ role: "user", content: "q" }), answer]);
    start(fake);
    await fireEvent.click(await screen.findByRole("button", { name: "Regenerate reply" }));
    await waitFor(() => expect(fake.streams[0]?.request).toEqual({ messageId: answer.id }));
  });

  it("deletes a conversation with undo, and deletes for good when the undo window closes", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      start(fake);
      const list = await screen.findByRole("list", { name: "Conversations" });
      await fireEvent.click(within(list).getAllByRole("button", { name: "Delete" })[1]!);
      expect(within(list).queryByText("Second chat")).toBeNull();
      await fireEvent.click(await screen.findByRole("button", { name: "Undo" }));
      expect(within(list).getByText("Second chat")).toBeTruthy();
      expect(fake.calls.some((c) => c.name === "deleteConversation")).toBe(false);

      await fireEvent.click(within(list).getAllByRole("button", { name: "Delete" })[1]!);
      await vi.advanceTimersByTimeAsync(undoWindowMs + 10);
      expect(fake.calls).toContainEqual({ name: "deleteConversation", request: { conversationId: "c2" } });
      expect(screen.queryByRole("button", { name: "Undo" })).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it("moves through the list with the keyboard: arrows, F2 to rename, P to pin", async () => {
    start(fake);
    const list = await screen.findByRole("list", { name: "Conversations" });
    const first = within(list).getByRole("button", { name: "First chat" });
    first.focus();
    await fireEvent.keyDown(first, { key: "ArrowDown" });
    await waitFor(() => expect(document.activeElement?.textContent?.trim()).toBe("Second chat"));
    await fireEvent.keyDown(document.activeElement!, { key: "F2" });
    const input = within(list).getByRole("textbox", { name: "New name" });
    await fireEvent.input(input, { target: { value: "Renamed" } });
    await fireEvent.keyDown(input, { key: "Enter" });
    await waitFor(() => expect(fake.calls).toContainEqual({ name: "renameConversation", request: { conversationId: "c2", title: "Renamed" } }));
    await waitFor(() => expect(document.activeElement?.textContent?.trim()).toBe("Renamed"));
    await fireEvent.keyDown(document.activeElement!, { key: "p" });
    await waitFor(() => expect(fake.calls).toContainEqual({ name: "pinConversation", request: { conversationId: "c2", pinned: true } }));
  });

  it("searches all history, highlights matches as text, and opens a hit with the keyboard", async () => {
    fake.hits = [
      {
        messageId: "m-old",
        conversationId: "c2",
        conversationTitle: "Second chat",
        role: "assistant",
        createdAt: 1_700_000_000_000,
        snippet: [
          { text: "the ", match: false },
          { text: "<b>zebra</b>", match: true },
          { text: " ran", match: false },
        ],
        score: 1,
      },
    ];
    fake.paths.set("c2", [message({ id: "m-old", role: "assistant", content: "the zebra ran" })]);
    const app = start(fake);
    const input = await screen.findByRole("searchbox", { name: "Search all conversations" });
    await fireEvent.input(input, { target: { value: "zebra" } });
    const results = await screen.findByRole("list", { name: "Search results" });
    const mark = results.querySelector("mark")!;
    expect(mark.textContent).toBe("<b>zebra</b>");
    expect(mark.querySelector("b")).toBeNull();
    await fireEvent.keyDown(input, { key: "ArrowDown" });
    expect(document.activeElement?.closest("li")).toBe(results.querySelector("li"));
    await fireEvent.click(document.activeElement!);
    await waitFor(() => expect(app.chat?.conversationId).toBe("c2"));
    expect(app.focus?.messageId).toBe("m-old");
  });
});
