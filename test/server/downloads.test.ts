import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpClient } from "../../electron/api/httpClient";
import type { DownloadStatus, RepriseApi } from "../../electron/api/contract";
import { defaultModel, modelCatalog } from "../../electron/engine/modelCatalog";
import { ModelLibrary } from "../../electron/models/modelLibrary";
import { testModelPath } from "../helpers/model";
import { startModelServer, type ModelServer } from "../models/modelServer";
import { startTestServer, type TestServer } from "./helpers";

let models: ModelServer;
let t: TestServer;
let api: RepriseApi;
let dir: string;

beforeAll(async () => {
  models = await startModelServer(await testModelPath(defaultModel), defaultModel.sha256);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "reprise-served-downloads-"));
  const library = new ModelLibrary({ dir, contextSize: 2048, catalog: [modelCatalog[0]!], origin: models.origin("drop") });
  t = await startTestServer({ model: false, library });
  api = createHttpClient({ baseUrl: t.server.url, token: () => t.token });
});
afterAll(async () => {
  await t.close();
  await models.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("downloading a model in browser mode (the contract over HTTP)", () => {
  it("starts a download, follows its progress through a dropped connection to a verified file, and loads it", async () => {
    const started = await api.startDownload({ source: defaultModel.id });
    expect(started.state).toBe("downloading");
    const seen: DownloadStatus[] = [];
    for (;;) {
      const [status] = (await api.listDownloads({})).downloads;
      seen.push(status!);
      if (status!.state !== "downloading" && status!.state !== "verifying") break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(seen.at(-1)).toMatchObject({ id: started.id, state: "done", path: path.join(dir, defaultModel.fileName), receivedBytes: defaultModel.sizeBytes });
    expect(await fs.readdir(dir)).toEqual([defaultModel.fileName]);
    expect(models.ranges).toHaveLength(2);

    const catalog = await api.modelCatalog({});
    expect(catalog.models[0]).toMatchObject({ localPath: path.join(dir, defaultModel.fileName), kind: "chat", recommended: true });
    const status = await api.selectModel({ path: seen.at(-1)!.path! });
    expect(status).toMatchObject({ state: "ready", kind: "chat" });
  });

  it("gives a bad pasted address a 400 with the reason", async () => {
    await expect(api.startDownload({ source: "https://evil.example/a/b/resolve/main/x.gguf" })).rejects.toMatchObject({
      code: "bad_request",
      message: expect.stringMatching(/Hugging Face only/),
    });
    await expect(api.cancelDownload({ downloadId: "unknown" })).rejects.toMatchObject({ code: "not_found" });
  });
});
