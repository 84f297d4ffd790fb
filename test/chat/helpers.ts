import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Store } from "../../db/index";
import type { SamplingPreset, StreamEnd, StreamEvent } from "../../electron/api/contract";
import { openAppService } from "../../electron/chat/appService";
import type { ChatService } from "../../electron/chat/chatService";
import type { ModelHost } from "../../electron/chat/modelHost";
import type { ModelLibrary } from "../../electron/models/modelLibrary";
import { testModelPath } from "../helpers/model";

export interface TestService {
  service: ChatService;
  store: Store;
  models: ModelHost;
  dir: string;
  close(): Promise<void>;
}

/**
 * The app service (built as the desktop app and `npm run serve` build it) on a fresh data folder in
 * a temp folder, with the real test model unless `model` is false. One thread by default: on this
 * shared 2-core machine two threads slow down by orders of magnitude whenever another process is busy.
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
  const app = openAppService({
    dataDir: dir,
    modelPath: (options.model ?? true) ? await testModelPath() : null,
    threads: options.threads ?? 1,
    contextSize: options.contextSize ?? 2048,
    badDatabase: "refuse",
    missingModelMessage: "No model is configured. Run `npm run model:fetch`, then start again, or choose a GGUF file.",
    version: "test",
    cacheDir: options.cacheDir,
    cachedChats: options.cachedChats,
    library: options.library,
  });
  const status = await app.start();
  if ((options.model ?? true) && status.state !== "ready") throw new Error(`Test model did not load: ${status.message}`);
  app.settings.update({ maxTokens: options.maxTokens ?? 32, samplingPreset: options.samplingPreset ?? "precise" });
  return {
    service: app.service,
    store: app.store,
    models: app.models,
    dir,
    async close() {
      await app.close();
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
