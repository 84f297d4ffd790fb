import fs from "node:fs";
import path from "node:path";
import { BadDatabaseError, Store } from "../../db/index";
import type { ModelStatus, RepriseApi, SelectModelRequest } from "../api/contract";
import { ChatService } from "../chat/chatService";
import { ModelHost } from "../chat/modelHost";
import { SettingsStore } from "../chat/settings";
import { defaultModel } from "../engine/modelCatalog";
import { modelCacheDir } from "../paths";

export interface DesktopService {
  api: RepriseApi;
  /** The model to load at start, if one is known. */
  startupModel: string | null;
  load(modelPath: string): Promise<void>;
  close(): Promise<void>;
  /** Set when the database could not be opened and a new one was started: tell the user where the old one is. */
  keptAsidePath: string | null;
}

/** `config.json` in the data folder: `modelPath` names the model to use (the README documents it). */
function configFile(dataDir: string): string {
  return path.join(dataDir, "config.json");
}

function readConfiguredModel(dataDir: string, env: NodeJS.ProcessEnv): string | null {
  if (env.REPRISE_MODEL) return path.resolve(env.REPRISE_MODEL);
  try {
    const config = JSON.parse(fs.readFileSync(configFile(dataDir), "utf8")) as { modelPath?: unknown };
    if (typeof config.modelPath === "string" && fs.existsSync(config.modelPath)) return config.modelPath;
  } catch {
    // No config yet, or one that cannot be read: fall back to the cached default model.
  }
  const cached = path.join(modelCacheDir(env), defaultModel.fileName);
  return fs.existsSync(cached) ? cached : null;
}

function rememberModel(dataDir: string, modelPath: string): void {
  const file = configFile(dataDir);
  let config: { [key: string]: unknown } = {};
  try {
    config = JSON.parse(fs.readFileSync(file, "utf8")) as { [key: string]: unknown };
  } catch {
    config = {};
  }
  const temporary = `${file}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify({ ...config, modelPath }, null, 2)}\n`);
  fs.renameSync(temporary, file);
}

function openStore(file: string): { store: Store; keptAsidePath: string | null } {
  try {
    return { store: Store.open(file), keptAsidePath: null };
  } catch (error) {
    // A desktop app has no --fresh-db flag to ask for: the damaged file is kept aside, never deleted.
    if (!(error instanceof BadDatabaseError)) throw error;
    return Store.startFresh(error.path);
  }
}

/**
 * The chat service as the desktop app runs it, wired like `npm run serve`:
 * the store, settings and model host in the user data folder. A model the user
 * picks is remembered for the next start.
 */
export function openDesktopService(dataDir: string, version: string, env: NodeJS.ProcessEnv = process.env): DesktopService {
  fs.mkdirSync(dataDir, { recursive: true });
  const { store, keptAsidePath } = openStore(path.join(dataDir, "reprise.db"));
  const settings = new SettingsStore(path.join(dataDir, "settings.json"));
  const models = new ModelHost(
    { contextSize: 4096 },
    "No model yet. Download the recommended one, or open a GGUF file you have.",
  );
  const service = new ChatService({ store, models, settings, version });
  const selectModel = service.selectModel;
  const api = Object.assign(Object.create(service) as ChatService, {
    async selectModel(request: SelectModelRequest): Promise<ModelStatus> {
      const status = await selectModel(request);
      if (status.state === "ready" && status.path) rememberModel(dataDir, status.path);
      return status;
    },
  });
  return {
    api,
    startupModel: readConfiguredModel(dataDir, env),
    keptAsidePath,
    load: (modelPath) => models.load(modelPath),
    async close() {
      await service.close();
      store.close();
    },
  };
}
