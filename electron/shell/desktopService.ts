import fs from "node:fs";
import path from "node:path";
import { operationNames, type ModelStatus, type RepriseApi, type SelectModelRequest } from "../api/contract";
import { openAppService } from "../chat/appService";
import { ModelFileError } from "../engine/modelFile";
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
  fs.writeFileSync(temporary, `${JSON.stringify({ ...config, modelPath }, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temporary, file);
}

/**
 * The app service as the desktop app runs it: built by `openAppService`, as `npm run serve` builds
 * it, in the user data folder. A damaged database is kept aside (a desktop app has no --fresh-db flag
 * to ask for); the model the user picks is remembered for the next start.
 */
export function openDesktopService(dataDir: string, version: string, env: NodeJS.ProcessEnv = process.env): DesktopService {
  const startupModel = readConfiguredModel(dataDir, env);
  const app = openAppService({
    dataDir,
    modelPath: startupModel,
    badDatabase: "keepAside",
    missingModelMessage: "No model yet. Download the recommended one, or open a GGUF file you have.",
    version,
  });
  const { service } = app;
  // The service's operations are fixed properties (see ChatService), so the API is a new object of
  // them, with selectModel also remembering the choice.
  const api = Object.fromEntries(operationNames.map((name) => [name, service[name]])) as unknown as RepriseApi;
  api.selectModel = async (request: SelectModelRequest): Promise<ModelStatus> => {
    const status = await service.selectModel(request);
    if (status.state === "ready" && status.path) rememberModel(dataDir, status.path);
    return status;
  };
  return {
    api,
    startupModel,
    keptAsidePath: app.keptAsidePath,
    // A file that is no model rejects; the model status then says why, for the UI to show.
    load: (modelPath) =>
      app.models.load(modelPath).catch((error: unknown) => {
        if (!(error instanceof ModelFileError)) throw error;
      }),
    close: () => app.close(),
  };
}
