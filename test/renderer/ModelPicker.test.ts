// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, it } from "vitest";
import App from "../../renderer/src/App.svelte";
import { AppState } from "../../renderer/src/lib/state/app.svelte";
import { FakeApi } from "./fakeApi";

let fake: FakeApi;

function firstRun(): AppState {
  fake.model = { ...fake.model, state: "missing", path: null, name: null, kind: null, message: "No model yet." };
  fake.conversations = [];
  const app = new AppState({ kind: "browser", api: fake.api, pickModelFile: null, onMenuCommand: () => () => {} }, document.documentElement, null);
  render(App, { props: { app } });
  return app;
}

async function entry(name: RegExp): Promise<HTMLElement> {
  const list = await screen.findByRole("list", { name: "Models" });
  return within(list).getByRole("listitem", { name });
}

beforeEach(() => {
  fake = new FakeApi();
});

describe("the model catalog on the first-run screen", () => {
  it("shows each model's size, memory need, fit and kind, the machine, and marks the recommended one", async () => {
    firstRun();
    expect(await screen.findByText("This computer: 16 GB of memory (12 GB free), no GPU.")).toBeTruthy();

    const smol = await entry(/SmolLM2/);
    expect(smol.textContent).toContain("Download 98 MB");
    expect(smol.textContent).toContain("Needs 294 MB of memory");
    expect(smol.textContent).toContain("Runs well on this computer");
    expect(within(smol).getByText("Chat")).toBeTruthy();
    expect(within(smol).queryByText("Recommended")).toBeNull();
    expect(within(smol).getByRole("button", { name: "Use" })).toBeTruthy();

    expect(screen.queryByText(/No recommendation yet/)).toBeNull();
    const qwen4 = await entry(/Qwen3 4B/);
    expect(within(qwen4).getByText("Recommended")).toBeTruthy();
    expect(qwen4.textContent).toContain("Download about 2.5 GB");
    expect(qwen4.textContent).toContain("Runs here, but slowly or tight on memory");

    const qwen8 = await entry(/Qwen3 8B/);
    expect(qwen8.textContent).toContain("Memory need not known until it is downloaded");
    expect(within(qwen8).getByRole("button", { name: "Download" })).toBeTruthy();

    const gemma = await entry(/Gemma 3 270M/);
    expect(within(gemma).getByText("Base model")).toBeTruthy();
    expect(gemma.textContent).toMatch(/continues the text it is given rather than answering it.*Instruct model/);
  });

  it("says why there is no recommendation when no model's fit is known", async () => {
    fake.catalog = { ...fake.catalog, models: fake.catalog.models.map((m) => ({ ...m, fit: null, recommended: false })) };
    firstRun();
    expect(await screen.findByText(/No recommendation yet: how a model fits is read from its file's header/)).toBeTruthy();
    expect(screen.queryByText("Recommended")).toBeNull();
  });

  it("uses a model that is already in the cache", async () => {
    firstRun();
    await fireEvent.click(within(await entry(/SmolLM2/)).getByRole("button", { name: "Use" }));
    await waitFor(() => expect(fake.calls).toContainEqual({ name: "selectModel", request: { path: "/cache/smol.gguf" } }));
  });

  it("downloads with progress, can cancel, shows a failure, and loads the model once verified", async () => {
    firstRun();
    await fireEvent.click(within(await entry(/Qwen3 8B/)).getByRole("button", { name: "Download" }));
    await waitFor(() => expect(fake.calls).toContainEqual({ name: "startDownload", request: { source: "qwen3-8b" } }));
    expect((await entry(/Qwen3 8B/)).textContent).toContain("Starting…");

    Object.assign(fake.downloads[0]!, { receivedBytes: 1e9, totalBytes: 5e9 });
    await waitFor(() => expect(within(screen.getByRole("listitem", { name: /Qwen3 8B/ })).getByRole("status").textContent).toContain("1.0 GB of 5.0 GB (20%)"));
    const bar = within(screen.getByRole("listitem", { name: /Qwen3 8B/ })).getByRole("progressbar") as HTMLProgressElement;
    expect(bar.value).toBe(20);

    await fireEvent.click(within(screen.getByRole("listitem", { name: /Qwen3 8B/ })).getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(fake.calls).toContainEqual({ name: "cancelDownload", request: { downloadId: "d1" } }));
    expect(await within(screen.getByRole("listitem", { name: /Qwen3 8B/ })).findByText("Download cancelled.")).toBeTruthy();

    await fireEvent.click(within(screen.getByRole("listitem", { name: /Qwen3 8B/ })).getByRole("button", { name: "Download" }));
    await waitFor(() => expect(fake.downloads).toHaveLength(2));
    Object.assign(fake.downloads[0]!, { state: "failed", error: "The downloaded file is damaged: its sha256 is 0123…" });
    expect(await within(screen.getByRole("listitem", { name: /Qwen3 8B/ })).findByText(/file is damaged/)).toBeTruthy();

    await fireEvent.click(within(screen.getByRole("listitem", { name: /Qwen3 8B/ })).getByRole("button", { name: "Download" }));
    await waitFor(() => expect(fake.downloads).toHaveLength(3));
    Object.assign(fake.downloads[0]!, { state: "done", path: "/cache/Qwen3-8B-Q4_K_M.gguf", receivedBytes: 5e9, totalBytes: 5e9 });
    await waitFor(() => expect(fake.calls).toContainEqual({ name: "selectModel", request: { path: "/cache/Qwen3-8B-Q4_K_M.gguf" } }));
  });

  it("reads an undownloaded model's header on request and shows its fit", async () => {
    firstRun();
    await fireEvent.click(within(await entry(/Qwen3 8B/)).getByRole("button", { name: "Check fit" }));
    await waitFor(() => expect(fake.calls).toContainEqual({ name: "checkModelFit", request: { source: "qwen3-8b" } }));
    await waitFor(() => expect(screen.getByRole("listitem", { name: /Qwen3 8B/ }).textContent).toContain("Too big for this computer"));
    expect(screen.getByRole("listitem", { name: /Qwen3 8B/ }).textContent).toContain("Needs 40 GB of memory");
    expect(within(screen.getByRole("listitem", { name: /Qwen3 8B/ })).queryByRole("button", { name: "Check fit" })).toBeNull();

    const field = screen.getByRole("textbox", { name: "Hugging Face file address or hf: URI" });
    await fireEvent.input(field, { target: { value: "hf:someone/Big-GGUF/big-Q4_K_M.gguf" } });
    await fireEvent.click(within(field.closest("form")!).getByRole("button", { name: "Check fit" }));
    expect(await screen.findByText("big-Q4_K_M.gguf (chat): Needs 40 GB of memory. Too big for this computer.")).toBeTruthy();
  });

  it("checks a pasted address before sending it, and downloads a valid one", async () => {
    firstRun();
    const field = await screen.findByRole("textbox", { name: "Hugging Face file address or hf: URI" });
    const submit = within(field.closest("form")!).getByRole("button", { name: "Download" });
    await fireEvent.input(field, { target: { value: "https://evil.example/owner/repo/resolve/main/x.gguf" } });
    await fireEvent.click(submit);
    expect(await screen.findByText(/Hugging Face only, not from evil\.example/)).toBeTruthy();
    await fireEvent.input(field, { target: { value: "hf:Qwen/Qwen3-4B-GGUF:Q4_K_M" } });
    await fireEvent.click(submit);
    expect(await screen.findByText(/names a repository \(Q4_K_M\), not a file/)).toBeTruthy();
    expect(fake.calls.some((c) => c.name === "startDownload")).toBe(false);

    const uri = "hf:someone/Other-GGUF/other-Q4_K_M.gguf";
    await fireEvent.input(field, { target: { value: uri } });
    await fireEvent.click(submit);
    await waitFor(() => expect(fake.calls).toContainEqual({ name: "startDownload", request: { source: uri } }));
    expect(screen.queryByText(/not a file/)).toBeNull();
    expect(await screen.findByText("other-Q4_K_M.gguf")).toBeTruthy();
    expect((field as HTMLInputElement).value).toBe("");
  });
});

describe("a base model in use", () => {
  it("is named as such in the conversation, with a way to choose an instruct model", async () => {
    // jsdom has no <dialog> behaviour; the settings dialog only needs showModal to exist.
    HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
      this.open = true;
    };
    fake.model = { ...fake.model, name: "gemma-3-270m-q4_k_m.gguf", kind: "base" };
    const app = new AppState({ kind: "browser", api: fake.api, pickModelFile: null, onMenuCommand: () => () => {} }, document.documentElement, null);
    render(App, { props: { app } });
    const note = await screen.findByRole("note");
    expect(note.textContent).toContain("gemma-3-270m-q4_k_m.gguf: This is a base model: it continues the text it is given rather than answering it.");
    await fireEvent.click(within(note).getByRole("button", { name: "Choose a model…" }));
    expect(app.settingsOpen).toBe(true);
  });

  it("a chat model gets no such note", async () => {
    render(App, { props: { app: new AppState({ kind: "browser", api: fake.api, pickModelFile: null, onMenuCommand: () => () => {} }, document.documentElement, null) } });
    expect(await screen.findByRole("heading", { name: "First chat" })).toBeTruthy();
    expect(screen.queryByRole("note")).toBeNull();
  });
});
