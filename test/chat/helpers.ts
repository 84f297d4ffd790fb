import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Store } from "../../db/index";
import type { SamplingPreset, StreamEnd, StreamEvent } from "../../electron/api/contract";
import { ChatService } from "../../electron/chat/chatService";
import { ModelHost } from "../../electron/chat/modelHost";
import type { ModelLibrary } from "../../electron/models/modelLibrary";
import { SettingsStore } from "../../electron/chat/settings";
import { testModelPath } from "../helpers/model";

export interface TestService {
  service: ChatService;
  store: Store;
  models: ModelHost;
  dir: string;
  close(): Promise<void>;
}

/**
 * A chat service on a fresh database in a temp folder, with the real test model unless `model` is
 * false. One thread by default: on this shared 2-core machine two threads slow down by orders of
 * magnitude whenever another process is busy.
 */
export async function startService(
  options: {
    model?: boolean;
    threads?: number;
    contextSize?: number;
    maxTokens?: number;
    /** Greedy ("precise") by default, so that replies can be compared token for token. */
    samplingPreset?: SamplingPreset;
    cachedChats?: number;
    /** Where the engine keeps its measured cost curve (the model cache by default). */
    cacheDir?: string;
    library?: ModelLibrary;
  } = {},
): Promise<TestService> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reprise-chat-"));
  const store = Store.open(path.join(dir, "reprise.db"));
  const models = new ModelHost({
    contextSize: options.contextSize ?? 2048,
    threads: options.threads ?? 1,
    cacheDir: options.cacheDir,
  });
  if (options.model ?? true) {
    await models.load(await testModelPath());
    const status = models.status({ generating: null, queued: [] });
    if (status.state !== "ready") throw new Error(`Test model did not load: ${status.message}`);
  }
  const settings = new SettingsStore(path.join(dir, "settings.json"));
  settings.update({ maxTokens: options.maxTokens ?? 32, samplingPreset: options.samplingPreset ?? "precise" });
  const service = new ChatService({
    store,
    models,
    settings,
    cachedChats: options.cachedChats,
    stateDir: path.join(dir, "state"),
    version: "test",
    library: options.library,
  });
  return {
    service,
    store,
    models,
    dir,
    async close() {
      await service.close();
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Records a reply's events; `text` is what the token events add up to. */
export function recorder() {
  const events: StreamEvent[] = [];
  return {
    events,
    onEvent: (event: StreamEvent) => void events.push(event),
    get text() {
      return events.map((e) => (e.type === "token" ? e.text : "")).join("");
    },
  };
}

export function expectDone(end: StreamEnd): Extract<StreamEnd, { type: "done" }> {
  if (end.type !== "done") throw new Error(`The reply failed: ${end.message}`);
  return end;
}
