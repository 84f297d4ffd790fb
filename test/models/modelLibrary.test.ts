import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DownloadStatus, ModelFit } from "../../electron/api/contract";
import { ApiError } from "../../electron/api/errors";
import { llama } from "../../electron/engine/llama";
import { defaultModel, modelCatalog, secondArchitectureModel, type CatalogEntry } from "../../electron/engine/modelCatalog";
import { recommend } from "../../electron/models/catalogFit";
import { ModelLibrary } from "../../electron/models/modelLibrary";
import { testModelPath } from "../helpers/model";
import { startModelServer, type ModelServer } from "./modelServer";

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "reprise-library-"));
});
afterAll(() => fs.rm(root, { recursive: true, force: true }));

async function cacheWith(name: string, models: { fileName: string }[]): Promise<string> {
  const dir = path.join(root, name);
  await fs.mkdir(dir, { recursive: true });
  for (const model of models) {
    const source = await testModelPath(model === secondArchitectureModel ? secondArchitectureModel : defaultModel);
    await fs.symlink(source, path.join(dir, model.fileName));
  }
  return dir;
}

describe("the model catalog", () => {
  it("computes fit from the GGUFs in the cache and this machine's memory, and recommends the best chat model", async () => {
    const dir = await cacheWith("both", [defaultModel, secondArchitectureModel]);
    const library = new ModelLibrary({ dir, contextSize: 4096 });
    const catalog = await library.modelCatalog({});
    const ram = await (await llama()).getRamState();
    expect(catalog.machine.ramBytes).toBe(ram.total);
    expect(catalog.machine.gpu).toBeNull(); // this machine has no GPU; VRAM then counts for nothing
    expect(catalog.machine.vramBytes).toBe(0);

    const smol = catalog.models.find((m) => m.id === defaultModel.id);
    const gemma = catalog.models.find((m) => m.id === secondArchitectureModel.id);
    expect(smol).toMatchObject({ kind: "chat", localPath: path.join(dir, defaultModel.fileName), recommended: true, downloadBytesExact: true });
    expect(gemma).toMatchObject({ kind: "base", recommended: false });
    // The memory need covers the weights and a 4,096-token context: more than the file, far less than the machine.
    for (const model of [smol, gemma]) {
      expect(model?.fit?.contextSize).toBe(4096);
      expect(model?.fit?.ramBytes).toBeGreaterThan(model?.downloadBytes ?? Infinity);
      expect(model?.fit?.ramBytes).toBeLessThan(catalog.machine.ramBytes);
      expect(model?.fit?.level).toBe("good");
    }
    expect(gemma!.fit!.ramBytes).toBeGreaterThan(smol!.fit!.ramBytes);

    const absent = catalog.models.filter((m) => m.localPath === null);
    expect(absent.map((m) => m.id)).toEqual(modelCatalog.slice(1, -1).map((m) => m.id));
    for (const model of absent) {
      expect(model).toMatchObject({ fit: null, recommended: false, downloadBytesExact: false });
      expect(model.fitUnknownReason).toMatch(/not known until it is downloaded/);
    }
  });

  it("names a file without a chat template a base model whatever the catalog says, and never recommends it", async () => {
    const dir = await cacheWith("base-only", [secondArchitectureModel]);
    const mislabelled: CatalogEntry = { ...modelCatalog.at(-1)!, kind: "chat" };
    const catalog = await new ModelLibrary({ dir, contextSize: 4096, catalog: [mislabelled] }).modelCatalog({});
    expect(catalog.models).toMatchObject([{ kind: "base", recommended: false }]);
    expect(catalog.models[0]?.fit?.level).toBe("good");
  });

  it("lists the other GGUFs in the cache, scored from their files, and leaves out what is not a model", async () => {
    const dir = await cacheWith("others", []);
    await fs.symlink(await testModelPath(defaultModel), path.join(dir, "pasted-model.gguf"));
    await fs.symlink(await testModelPath(secondArchitectureModel), path.join(dir, "Other-Base.GGUF"));
    await fs.writeFile(path.join(dir, "broken.gguf"), "not a model");
    await fs.writeFile(path.join(dir, "notes.txt"), "hello");
    await fs.writeFile(path.join(dir, "half.gguf.download"), "GGUF");
    const catalog = await new ModelLibrary({ dir, contextSize: 4096, catalog: [modelCatalog[1]!] }).modelCatalog({});
    expect(catalog.models.map((m) => m.id)).toEqual([modelCatalog[1]!.id, "cache:Other-Base.GGUF", "cache:pasted-model.gguf"]);
    expect(catalog.models[1]).toMatchObject({ kind: "base", source: null, localPath: path.join(dir, "Other-Base.GGUF"), recommended: false });
    expect(catalog.models[2]).toMatchObject({
      kind: "chat",
      source: null,
      downloadBytes: defaultModel.sizeBytes,
      downloadBytesExact: true,
      recommended: true,
      fit: { level: "good" },
    });
  });

  it("says why the fit is unknown when a cached file is not a GGUF", async () => {
    const dir = path.join(root, "broken");
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, defaultModel.fileName), "not a model");
    const catalog = await new ModelLibrary({ dir, contextSize: 4096, catalog: [modelCatalog[0]!] }).modelCatalog({});
    expect(catalog.models[0]).toMatchObject({ fit: null, recommended: false });
    expect(catalog.models[0]?.fitUnknownReason).toMatch(/could not be read as a GGUF/);
  });
});

describe("recommending", () => {
  const fit = (score: number): ModelFit => ({ level: score >= 0.95 ? "good" : score > 0 ? "poor" : "none", score, ramBytes: 1, vramBytes: 0, contextSize: 4096 });
  const model = (id: string, score: number | null, downloadBytes: number, kind: "chat" | "base" = "chat") => ({
    id,
    kind,
    downloadBytes,
    fit: score === null ? null : fit(score),
  });

  it("takes the best score, the larger model among equals, and never a base model, an unknown fit or one that does not fit", () => {
    expect(recommend([model("small", 1, 1e8), model("large", 1, 3e9), model("larger-slow", 0.8, 5e9)])).toBe("large");
    expect(recommend([model("base", 1, 9e9, "base"), model("unknown", null, 9e9), model("chat", 0.5, 1e8)])).toBe("chat");
    expect(recommend([model("too-big", 0, 1e9), model("unknown", null, 1e9)])).toBeNull();
  });
});

describe("downloads through the library", () => {
  let server: ModelServer;
  const entry: CatalogEntry = { ...modelCatalog[0]!, id: "smol" };

  beforeAll(async () => {
    server = await startModelServer(await testModelPath(defaultModel), defaultModel.sha256);
  });
  afterAll(() => server.close());

  async function settle(library: ModelLibrary, id: string): Promise<DownloadStatus> {
    for (;;) {
      const status = (await library.listDownloads({})).downloads.find((d) => d.id === id);
      if (status && status.state !== "downloading" && status.state !== "verifying") return status;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it("downloads a catalog model into the cache, where the catalog then finds it and computes its fit", async () => {
    const dir = path.join(root, "download-ok");
    const library = new ModelLibrary({ dir, contextSize: 4096, catalog: [entry], origin: server.origin("ok") });
    // Two requests for the same file at once (by id and by URI): one starts, the other is refused.
    const [first, second] = await Promise.allSettled([library.startDownload({ source: "smol" }), library.startDownload({ source: entry.huggingFaceUri })]);
    expect(second).toMatchObject({ status: "rejected", reason: { code: "conflict" } });
    const started = (first as PromiseFulfilledResult<DownloadStatus>).value;
    expect(started).toMatchObject({ state: "downloading", fileName: defaultModel.fileName, url: defaultModel.huggingFaceUrl.replace("https://huggingface.co", server.origin("ok")) });
    const done = await settle(library, started.id);
    expect(done).toMatchObject({ state: "done", path: path.join(dir, defaultModel.fileName), receivedBytes: defaultModel.sizeBytes, error: null });
    expect(await fs.readdir(dir)).toEqual([defaultModel.fileName]);
    await expect(library.startDownload({ source: "smol" })).rejects.toThrow(/already in the model cache/);
    const catalog = await library.modelCatalog({});
    expect(catalog.models[0]).toMatchObject({ localPath: done.path, recommended: true, fit: { level: "good" } });
  });

  it("a pasted URL that is not there fails with the 404's message and leaves nothing", async () => {
    const dir = path.join(root, "download-404");
    const library = new ModelLibrary({ dir, contextSize: 4096, catalog: [entry], origin: server.origin("missing") });
    const started = await library.startDownload({ source: "https://huggingface.co/someone/gone-GGUF/resolve/main/gone.gguf" });
    expect(started.fileName).toBe("gone.gguf");
    const failed = await settle(library, started.id);
    expect(failed.state).toBe("failed");
    expect(failed.error).toMatch(/404/);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it("cancelling stops the download and removes its partial file", async () => {
    const dir = path.join(root, "download-cancel");
    const library = new ModelLibrary({ dir, contextSize: 4096, catalog: [entry], origin: server.origin("slow") });
    const started = await library.startDownload({ source: "smol" });
    while (((await library.listDownloads({})).downloads[0]?.receivedBytes ?? 0) < 1_000_000) await new Promise((r) => setTimeout(r, 20));
    const cancelled = await library.cancelDownload({ downloadId: started.id });
    expect(cancelled.state).toBe("cancelled");
    expect(cancelled.receivedBytes).toBeLessThan(defaultModel.sizeBytes);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it("refuses a hostile source before touching the network", async () => {
    const library = new ModelLibrary({ dir: path.join(root, "never"), contextSize: 4096, catalog: [entry], origin: "http://127.0.0.1:9" });
    const refused = await library.startDownload({ source: "hf:../../etc/passwd.gguf" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ code: "bad_request" });
    await expect(library.cancelDownload({ downloadId: "nope" })).rejects.toMatchObject({ code: "not_found" });
    expect((await library.listDownloads({})).downloads).toEqual([]);
  });

  it("reads a model's header from the server on request, and the catalog shows its fit from then on", async () => {
    const local = await new ModelLibrary({ dir: await cacheWith("local-fit", [defaultModel]), contextSize: 4096, catalog: [entry] }).modelCatalog({});
    const library = new ModelLibrary({ dir: path.join(root, "remote-fit"), contextSize: 4096, catalog: [entry], origin: server.origin("ok") });
    const before = await library.modelCatalog({});
    expect(before.models[0]).toMatchObject({ fit: null, localPath: null });

    const checked = await library.checkModelFit({ source: "smol" });
    expect(checked).toMatchObject({ fileName: defaultModel.fileName, kind: "chat", fit: { level: "good", contextSize: 4096 } });
    // The same header read over HTTP as from the disk: the same memory need.
    expect(checked.fit.ramBytes).toBe(local.models[0]?.fit?.ramBytes);
    const after = await library.modelCatalog({});
    expect(after.models[0]).toMatchObject({ localPath: null, recommended: true, fitUnknownReason: null, fit: { ramBytes: checked.fit.ramBytes } });
  });

  it("says the header could not be read when the server has no such file", async () => {
    const library = new ModelLibrary({ dir: path.join(root, "remote-404"), contextSize: 4096, catalog: [entry], origin: server.origin("missing") });
    const refused = await library.checkModelFit({ source: "hf:someone/repo/gone.gguf" }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "upstream_failed" });
    expect((refused as Error).message).toMatch(/Could not read gone\.gguf/);
  });
});
