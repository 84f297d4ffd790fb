import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../../electron/engine/engine";
import { ModelFileError, validateModelFile } from "../../electron/engine/modelFile";
import { testModelPath } from "../helpers/model";

let dir: string;
let modelPath: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "reprise-modelfile-"));
  modelPath = await testModelPath();
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

async function truncatedCopy(name: string, bytes: number): Promise<string> {
  const target = path.join(dir, name);
  const handle = await fs.open(modelPath, "r");
  const buffer = Buffer.alloc(bytes);
  await handle.read(buffer, 0, bytes, 0);
  await handle.close();
  await fs.writeFile(target, buffer);
  return target;
}

async function loadError(file: string): Promise<ModelFileError> {
  const error = await Engine.load({ modelPath: file }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelFileError);
  return error as ModelFileError;
}

describe("bad model files", () => {
  it("a missing file", async () => {
    const file = path.join(dir, "absent.gguf");
    const error = await loadError(file);
    expect(error.problem).toBe("missing");
    expect(error.message).toBe(`Model file not found: ${file}`);
  });

  it("a file that is not GGUF", async () => {
    const file = path.join(dir, "notes.gguf");
    await fs.writeFile(file, "these are my notes, not a model\n");
    const error = await loadError(file);
    expect(error.problem).toBe("not-gguf");
    expect(error.message).toBe(
      `Not a GGUF model file: ${file} (a GGUF file begins with "GGUF"; this one, 32 bytes, does not)`,
    );
  });

  it("an empty file", async () => {
    const file = path.join(dir, "empty.gguf");
    await fs.writeFile(file, "");
    const error = await loadError(file);
    expect(error.problem).toBe("not-gguf");
    expect(error.message).toBe(`Not a GGUF model file: ${file} (a GGUF file begins with "GGUF"; this one, 0 bytes, does not)`);
  });

  it("a file cut inside its tensor data", async () => {
    const { size } = await fs.stat(modelPath);
    // Past the header, well inside the tensor data, of whichever model is the test model.
    const cut = Math.floor(size * 0.8);
    const file = await truncatedCopy("cut.gguf", cut);
    const error = await loadError(file);
    expect(error.problem).toBe("truncated");
    expect(error.message).toBe(`Model file is truncated: ${file} is ${cut} bytes but needs ${size}. Download it again.`);
  });

  it("a file cut inside its header", async () => {
    const file = await truncatedCopy("header.gguf", 64);
    const error = await loadError(file);
    expect(error.problem).toBe("truncated");
    expect(error.message).toMatch(/^Model file is truncated: .+header\.gguf is 64 bytes but needs \d+\. Download it again\.$/);
  });

  it("a folder in place of a file", async () => {
    const error = await loadError(dir);
    expect(error.problem).toBe("unreadable");
    expect(error.message).toBe(`Model path is not a file: ${dir}`);
  });

  it("the real model passes", async () => {
    await expect(validateModelFile(modelPath)).resolves.toBeUndefined();
  });
});
