import { describe, expect, it } from "vitest";
import { costCurveFileName } from "../../electron/engine/costCurve";

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
