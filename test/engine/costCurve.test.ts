import { describe, expect, it } from "vitest";
import { costCurveFileName, parseCostCurve } from "../../electron/engine/costCurve";
import { maxDraftLength } from "../../electron/engine/draftPolicy";

const build = {
  buildType: "localBuild" as const,
  gpu: false as const,
  cmakeOptions: { GGML_CPU_REPACK: "OFF", REPRISE_LLAMA_PATCHES: "60a053d35fbf" },
  llamaCppRelease: { repo: "ggml-org/llama.cpp", release: "b6000" },
};

describe("costCurveFileName", () => {
  it("names the model, its size, the thread count and the binary", () => {
    const name = costCurveFileName("model.gguf", 1234, 2, build);
    expect(name).toMatch(/^model\.gguf\.1234\.2t\.localBuild-cpu-[0-9a-f]{12}\.cost-v\d+\.json$/);
  });

  it("keeps curves of builds with other options or another llama.cpp release apart", () => {
    const name = costCurveFileName("model.gguf", 1234, 2, build);
    const otherOptions = { ...build, cmakeOptions: { ...build.cmakeOptions, GGML_LLAMAFILE: "OFF" } };
    const otherRelease = { ...build, llamaCppRelease: { ...build.llamaCppRelease, release: "b6001" } };
    expect(costCurveFileName("model.gguf", 1234, 2, otherOptions)).not.toBe(name);
    expect(costCurveFileName("model.gguf", 1234, 2, otherRelease)).not.toBe(name);
    expect(costCurveFileName("model.gguf", 1234, 1, build)).not.toBe(name);
    expect(costCurveFileName("model.gguf", 1234, 2, { ...build, buildType: "prebuilt" })).not.toBe(name);
  });

  it("does not depend on the order the options are listed in", () => {
    const reordered = { ...build, cmakeOptions: { REPRISE_LLAMA_PATCHES: "60a053d35fbf", GGML_CPU_REPACK: "OFF" } };
    expect(costCurveFileName("model.gguf", 1234, 2, reordered)).toBe(costCurveFileName("model.gguf", 1234, 2, build));
  });
});

describe("parseCostCurve", () => {
  const relative = Array.from({ length: maxDraftLength + 1 }, (_, i) => 1 + i * 0.5);
  const curve = { relative, singleTokenMs: 13.8, cachedTokens: 24, deep: { cachedTokens: 600, relative }, exactBatch: 33 };

  it("reads a kept curve back as it was written", () => {
    expect(parseCostCurve(JSON.stringify(curve))).toEqual(curve);
  });

  it("refuses a damaged file or one of another shape, so the curve is measured again", () => {
    const { deep: _deep, ...older } = curve;
    for (const text of [
      "",
      "{",
      "null",
      JSON.stringify(older),
      JSON.stringify({ ...curve, relative: relative.slice(1) }),
      JSON.stringify({ ...curve, relative: relative.map(() => "1") }),
      JSON.stringify({ ...curve, relative: relative.map(() => 0.5) }),
      JSON.stringify({ ...curve, exactBatch: 0 }),
      JSON.stringify({ ...curve, exactBatch: 34 }),
      JSON.stringify({ ...curve, deep: { cachedTokens: 24, relative } }),
      JSON.stringify({ ...curve, extra: 1 }),
    ])
      expect(parseCostCurve(text), text.slice(0, 60)).toBeUndefined();
  });
});
