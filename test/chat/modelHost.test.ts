import { afterAll, describe, expect, it } from "vitest";
import { draftingStatus, ModelHost } from "../../electron/chat/modelHost";
import { maxDraftLength } from "../../electron/engine/draftPolicy";
import type { DraftingCapability } from "../../electron/engine/engine";
import { defaultModel, secondArchitectureModel } from "../../electron/engine/modelCatalog";
import { testModelPath } from "../helpers/model";

const idle = { generating: null, queued: [] };

/** A capability as the engine reports it: Reprise's build on the CPU, every draft length exact and self-checked, unless `changes` say otherwise. */
function capability(changes: Partial<DraftingCapability>): DraftingCapability {
  return {
    binary: "reprise",
    backend: "cpu",
    maxDraftTokens: maxDraftLength,
    selfCheck: { passed: true, checkedDraftTokens: maxDraftLength, failure: null },
    plainTokensPerSecond: 100,
    bestTokensPerSecond: 400,
    bestBatchTokens: 12,
    ...changes,
  };
}
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

describe("what drafting can do on the model's binary", () => {
  it("is known once the model's calibration ran, and names no limit where every draft length stays exact", async () => {
    await host.load(await testModelPath(defaultModel));
    expect(host.status(idle).drafting).toBeNull();
    const engine = host.engine();
    const { exactBatch } = await engine.costCurve();
    const drafting = host.status(idle).drafting!;
    expect(drafting).toMatchObject({ backend: "cpu", maxDraftTokens: Math.min(maxDraftLength, exactBatch - 1) });
    expect(drafting.binary).toBe(engine.model.llama.buildType === "localBuild" ? "reprise" : "prebuilt");
    expect(drafting.limitation === null).toBe(drafting.maxDraftTokens === maxDraftLength);
  });

  it("tells the user of a prebuilt binary how far drafts are cut and how to get the exact build", () => {
    const cut = draftingStatus(capability({ binary: "prebuilt", maxDraftTokens: 2 }))!;
    expect(cut.limitation).toMatch(/^Drafts are cut to 2 tokens per pass on node-llama-cpp's prebuilt llama.cpp/);
    expect(cut.limitation).toContain(
      `drafts up to ${maxDraftLength} tokens exactly: "npm install" builds it where git, CMake and a C++ compiler are installed; once they are, run "npm run llama:build"`,
    );
    const none = draftingStatus(capability({ binary: "prebuilt", maxDraftTokens: 0 }))!;
    expect(none.limitation).toMatch(/^Replies are not drafted on node-llama-cpp's prebuilt llama.cpp/);
  });

  it("names the backend where Reprise's own build is limited, and nothing where it is not", () => {
    const gpu = draftingStatus(capability({ backend: "vulkan", maxDraftTokens: 3 }))!;
    expect(gpu.limitation).toBe(
      "Drafts are cut to 3 tokens per pass: on this VULKAN backend, longer batches are evaluated with other roundings than one token and could change the reply.",
    );
    expect(draftingStatus(capability({}))!.limitation).toBeNull();
    expect(draftingStatus(null)).toBeNull();
  });

  it("says that replies are not drafted, and why, where the self-check failed", () => {
    const failure = "with drafts rolled back, greedy decoding wrote another token than plain decoding at token 9 of 323";
    const off = draftingStatus(capability({ maxDraftTokens: 0, selfCheck: { passed: false, checkedDraftTokens: maxDraftLength, failure } }))!;
    expect(off.limitation).toBe(
      `Replies are not drafted: the drafting self-check found that drafts change this model's replies on this llama.cpp binary (${failure}). Replies are written by plain decoding, as fast as without Reprise.`,
    );
  });
});
