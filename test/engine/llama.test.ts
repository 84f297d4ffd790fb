import path from "node:path";
import { describe, expect, it } from "vitest";
import { cpuBuildFor, cpuBuilds } from "../../electron/engine/llama";
import { llamaPatchSet } from "../../electron/engine/llamaPatchSet";

describe("cpuBuildFor", () => {
  const asar = path.join("opt", "Reprise", "resources", "app.asar", "out", "main", "main.js");
  const checkout = path.join("work", "reprise", "out", "main", "main.js");

  it("looks for the portable build in the packaged app, which ships only that one", () => {
    expect(cpuBuildFor(asar, "45.5.0")).toBe("portable");
  });

  it("looks for the native build in a checkout, in Electron or Node", () => {
    expect(cpuBuildFor(checkout, "45.5.0")).toBe("native");
    expect(cpuBuildFor(checkout, undefined)).toBe("native");
    expect(cpuBuildFor(asar, undefined)).toBe("native");
  });
});

describe("cpuBuilds", () => {
  it("are both exact builds of this patch set, for this CPU or for any", () => {
    for (const options of Object.values(cpuBuilds)) {
      expect(options).toMatchObject({ GGML_CPU_REPACK: "OFF", REPRISE_LLAMA_PATCHES: llamaPatchSet });
    }
    expect(cpuBuilds.native.GGML_NATIVE).toBe("ON");
    // ggml's own switches for one CPU backend per feature level, loaded at start-up.
    expect(cpuBuilds.portable).toMatchObject({ GGML_NATIVE: "OFF", GGML_BACKEND_DL: "ON", GGML_CPU_ALL_VARIANTS: "ON" });
  });
});
