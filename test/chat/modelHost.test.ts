import { afterAll, describe, expect, it } from "vitest";
import { ModelHost } from "../../electron/chat/modelHost";
import { defaultModel, secondArchitectureModel } from "../../electron/engine/modelCatalog";
import { testModelPath } from "../helpers/model";

const idle = { generating: null, queued: [] };
const host = new ModelHost(() => ({ contextSize: 512, threads: 1 }), "No model is configured.");
afterAll(() => host.dispose());

describe("the model's kind, read from its GGUF", () => {
  it("is unknown before a model is loaded", () => {
    expect(host.status(idle)).toMatchObject({ state: "missing", kind: null });
  });

  it("is chat for SmolLM2-135M-Instruct, which has a chat template", async () => {
    await host.load(await testModelPath(defaultModel));
    expect(host.status(idle)).toMatchObject({ state: "ready", name: defaultModel.fileName, kind: "chat" });
  });

  it("is base for Gemma 3 270M, which has none, and the model still opens", async () => {
    await host.load(await testModelPath(secondArchitectureModel));
    expect(host.status(idle)).toMatchObject({ state: "ready", name: secondArchitectureModel.fileName, kind: "base" });
  });
});
