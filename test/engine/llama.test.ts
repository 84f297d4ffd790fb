import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { localBuildFolder } from "../../build/scripts/llama-compile";
import { cpuBuildFor, cpuBuilds, llama, noAmxFlags } from "../../electron/engine/llama";
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

describe("the native build", () => {
  it.runIf(noAmxFlags !== null)("compiles every source of ggml's CPU backend with AMX off", async () => {
    const commands = JSON.parse(
      await fs.readFile(path.join(await localBuildFolder(await llama()), "compile_commands.json"), "utf8"),
    ) as { file: string; command: string }[];
    const cpuBackend = commands.filter((c) => c.file.includes(`${path.sep}ggml-cpu${path.sep}`));
    expect(cpuBackend.length).toBeGreaterThan(10);
    // cmake-js overrides CMAKE_CXX_FLAGS: a flag put there would reach the C sources alone.
    expect(cpuBackend.filter((c) => !c.command.includes(noAmxFlags!)).map((c) => path.basename(c.file))).toEqual([]);
    expect(cpuBackend.some((c) => c.file.endsWith(".cpp"))).toBe(true);
  });
});
