import fs from "node:fs";
import path from "node:path";
import { BadDatabaseError, Store } from "../../db/index";
import type { ModelStatus } from "../api/contract";
import type { EngineOptions } from "../engine/engine";
import { ModelFileError } from "../engine/modelFile";
import type { ModelLibrary } from "../models/modelLibrary";
import { ChatService } from "./chatService";
import { ModelHost } from "./modelHost";
import { SettingsStore } from "./settings";

/** Everything that differs between the desktop app, `npm run serve` and the tests. */
export interface AppServiceOptions {
  /** The data folder: reprise.db, settings.json, state/. Created if missing; readable by the user only. */
  dataDir: string;
  /** The model `start` loads; null for none yet (the user picks one). */
  modelPath: string | null;
  /** CPU threads for this run, in place of the threads setting (`--threads`); absent: the setting. */
  threads?: number;
  /** Tokens per conversation for this run, in place of the context size setting (`--context-size`). */
  contextSize?: number;
  /**
   * A database that cannot be opened: "refuse" throws its BadDatabaseError (the file is left as it
   * is), "keepAside" moves it aside and starts an empty one (`keptAsidePath` says where it went).
   */
  badDatabase: "refuse" | "keepAside";
  /** What the model status says before any model is chosen: what the user can do about it here. */
  missingModelMessage: string;
  version: string;
  /** Where the measured cost curve is kept; the model cache by default. */
  cacheDir?: string;
  assumedCost?: EngineOptions["assumedCost"];
  /** How many conversations keep their evaluated state in memory (see ChatServiceOptions). */
  cachedChats?: number;
  /** The model catalog and downloads; by default over the user's model cache (see ChatServiceOptions). */
  library?: ModelLibrary;
}

export interface AppService {
  service: ChatService;
  store: Store;
  models: ModelHost;
  settings: SettingsStore;
  /** Where the database that could not be opened was kept, when a new one was started instead. */
  keptAsidePath: string | null;
  /** Loads the model of the options, if one was given; resolves with the model status after it. */
  start(): Promise<ModelStatus>;
  /** Stops replies (kept as interrupted), saves the evaluated states, releases the model, closes the database. */
  close(): Promise<void>;
}

/**
 * Owner only: the folder holds every conversation. mkdir leaves an existing folder as it was, and
 * earlier versions made it 0755 and its files 0644, so both are narrowed. The database narrows its
 * own files (db/open.ts), the access token and the states are written 0600. Where modes do not exist
 * (Windows) this changes nothing.
 */
function ownerOnlyFolder(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  for (const name of ["settings.json", "config.json"]) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) fs.chmodSync(file, 0o600);
  }
}

function openStore(file: string, badDatabase: AppServiceOptions["badDatabase"]): { store: Store; keptAsidePath: string | null } {
  try {
    return { store: Store.open(file), keptAsidePath: null };
  } catch (error) {
    if (badDatabase === "refuse" || !(error instanceof BadDatabaseError)) throw error;
    return Store.startFresh(error.path);
  }
}

/**
 * The one place the app is put together: store, settings, model host and chat service in one data
 * folder, the evaluated states of conversations in its `state/`. The desktop app, `npm run serve` and
 * the tests all build it here, so what the tests run is what the user runs.
 */
export function openAppService(options: AppServiceOptions): AppService {
  ownerOnlyFolder(options.dataDir);
  const { store, keptAsidePath } = openStore(path.join(options.dataDir, "reprise.db"), options.badDatabase);
  const settings = new SettingsStore(path.join(options.dataDir, "settings.json"));
  const models = new ModelHost(() => {
    const saved = settings.get();
    const threads = options.threads || saved.threads;
    return {
      contextSize: options.contextSize ?? saved.contextSize,
      // 0 is "all cores", which is the engine's default.
      threads: threads > 0 ? threads : undefined,
      cacheDir: options.cacheDir,
      assumedCost: options.assumedCost,
    };
  }, options.missingModelMessage);
  const service = new ChatService({
    store,
    models,
    settings,
    cachedChats: options.cachedChats,
    library: options.library,
    stateDir: path.join(options.dataDir, "state"),
    version: options.version,
  });
  return {
    service,
    store,
    models,
    settings,
    keptAsidePath,
    async start() {
      // A file that is no model rejects, and the status then says so.
      if (options.modelPath) {
        await models.load(options.modelPath).catch((error: unknown) => {
          if (!(error instanceof ModelFileError)) throw error;
        });
      }
      return service.modelStatus({});
    },
    async close() {
      await service.close();
      store.close();
    },
  };
}
