/**
 * Headless mode: `npm run serve -- --port P --data-dir D [--model M]`. The app's API and UI on
 * 127.0.0.1 only, behind a random access token printed at start and written to D/access-token.
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { BadDatabaseError } from "../../db/index";
import type { DraftingStatus } from "../api/contract";
import { openAppService, type AppService } from "../chat/appService";
import { draftingStatus } from "../chat/modelHost";
import { cheapVerification } from "../engine/draftPolicy";
import { defaultModel } from "../engine/modelCatalog";
import { modelCacheDir, userDataDir } from "../paths";
import { createAccessToken } from "./accessToken";
import { startServer } from "./server";

const usage = `Usage: npm run serve -- [options]

  --port P           port on 127.0.0.1 (default 0: any free port; the URL is printed)
  --data-dir D       where the database, settings and access token live (default ${userDataDir()})
  --model M          GGUF model file (default: the cached default model, ${defaultModel.fileName})
  --threads N        CPU threads for the model (default: the threads setting, at first all cores)
  --context-size N   tokens each conversation can hold (default: the context size setting, at first 4096)
  --fresh-db         if the database cannot be opened, keep it aside and start a new one
  --assume-cheap-drafts
                     for tests: take verifying a draft as nearly free instead of measuring it
                     (drafts still stay within the batch size that evaluates exactly)
  --help             this text`;

function fatal(message: string): never {
  console.error(message);
  process.exit(1);
}

function positiveInteger(value: string | undefined, name: string, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) fatal(`--${name} must be a whole number, got "${value}".\n\n${usage}`);
  return n;
}

/** The model to load: --model, else the default model if the cache has it. Nothing is downloaded here. */
function chooseModel(option: string | undefined): string | null {
  if (option) return path.resolve(option);
  const cached = path.join(modelCacheDir(), defaultModel.fileName);
  return fs.existsSync(cached) ? cached : null;
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        port: { type: "string" },
        "data-dir": { type: "string" },
        model: { type: "string" },
        threads: { type: "string" },
        "context-size": { type: "string" },
        "fresh-db": { type: "boolean" },
        "assume-cheap-drafts": { type: "boolean" },
        help: { type: "boolean" },
      },
      strict: true,
    }).values;
  } catch (error) {
    fatal(`${(error as Error).message}\n\n${usage}`);
  }
  if (args.help) {
    console.log(usage);
    return;
  }
  const port = positiveInteger(args.port, "port", 0) as number;
  if (port > 65535) fatal(`--port must be at most 65535, got ${port}.`);
  const threads = positiveInteger(args.threads, "threads", undefined);
  const contextSize = positiveInteger(args["context-size"], "context-size", undefined);
  const dataDir = path.resolve(args["data-dir"] ?? userDataDir());
  const packageJson = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, "../../package.json"), "utf8")) as {
    version: string;
  };
  const modelPath = chooseModel(args.model);
  let app: AppService;
  try {
    app = openAppService({
      dataDir,
      modelPath,
      threads,
      contextSize,
      badDatabase: args["fresh-db"] ? "keepAside" : "refuse",
      missingModelMessage: `No model found: ${defaultModel.fileName} is not in the model cache (${modelCacheDir()}). Run \`npm run model:fetch\`, or start with --model <file.gguf>.`,
      version: packageJson.version,
      assumedCost: args["assume-cheap-drafts"] ? cheapVerification : undefined,
    });
  } catch (error) {
    if (!(error instanceof BadDatabaseError)) throw error;
    fatal(`${error.message}\n\nThe file was not changed. To keep it aside and start with an empty database, run again with --fresh-db.`);
  }
  const { service, store, settings } = app;
  if (app.keptAsidePath) {
    console.log(`The database could not be used; it was kept at ${app.keptAsidePath} and a new one started.`);
  }
  if (store.recoveredMessageIds.length > 0) {
    console.log(`${store.recoveredMessageIds.length} reply(s) were cut off when the last run stopped; they are kept, marked interrupted.`);
  }
  if (settings.problem) console.warn(`Some settings were invalid and use their defaults: ${settings.problem}`);

  const uiDir = path.resolve(import.meta.dirname, "../../out/renderer");
  const { token, file: tokenFile } = createAccessToken(dataDir);
  const server = await startServer({ service, token, port, uiDir }).catch((error: Error) =>
    fatal(`Could not listen on ${port ? `port ${port}` : "a free port"} of 127.0.0.1: ${error.message}`),
  );
  console.log(`Reprise is listening on ${server.url}`);
  console.log(`Open ${server.url}/#token=${token}`);
  console.log(`Access token: ${token} (also in ${tokenFile}); send it as "Authorization: Bearer <token>".`);
  if (!fs.existsSync(path.join(uiDir, "index.html"))) {
    console.log(`The UI is not built (${uiDir} has no index.html): run \`npm run build\` to serve it. The API works without it.`);
  }

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    // Replies being written are stored as interrupted before the database closes.
    await service.close();
    await server.close();
    store.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown());
  process.on("SIGTERM", () => void shutdown());

  if (!modelPath) {
    console.log((await service.modelStatus({})).message);
    return;
  }
  console.log(`Loading model ${modelPath} ...`);
  const status = await app.start();
  console.log(status.state === "ready" ? `Model ready: ${status.name}` : `Model not loaded: ${status.message}`);
  // What the first use of each model measures, once it has: the batch drafts may fill and why not more.
  app.models.onReady((engine) => {
    engine.whenCalibrated().then(
      (capability) => console.log(calibrationLine(draftingStatus(capability)!)),
      (error: Error) => console.log(`Drafting calibration failed: ${error.message}`),
    );
  });
}

function calibrationLine(drafting: DraftingStatus): string {
  const binary = drafting.binary === "reprise" ? "Reprise's llama.cpp build" : "node-llama-cpp's prebuilt llama.cpp";
  const check = drafting.selfCheck.passed ? "self-check passed" : `self-check failed: ${drafting.selfCheck.failure}`;
  // The self-check checked drafts as long as the calibration's exact batch allows.
  const batch = `exact batch ${drafting.selfCheck.checkedDraftTokens + 1} tokens, drafts of up to ${drafting.maxDraftTokens}`;
  const line = `Drafting calibrated on ${binary}, ${drafting.backend}: ${batch}, ${check}; plain ${drafting.plainTokensPerSecond.toFixed(0)} tokens/s.`;
  return drafting.limitation ? `${line} ${drafting.limitation}` : line;
}

await main();
