import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const require = createRequire(import.meta.url);

describe("electron-builder config", () => {
  const yaml = require("js-yaml") as { load(text: string): Record<string, unknown> };
  const config = yaml.load(fs.readFileSync(path.join(root, "build/electron-builder.yml"), "utf8"));

  it("is valid for the installed electron-builder", async () => {
    // `npm run dist` needs Electron's downloads; the schema check does not.
    const { validateConfiguration } = require("app-builder-lib/out/util/config/config") as {
      validateConfiguration(config: unknown, logger: { isEnabled: boolean; add(): void }): Promise<void>;
    };
    await expect(validateConfiguration(config, { isEnabled: false, add: () => {} })).resolves.toBeUndefined();
  });

  it("builds AppImage and deb, dmg, and nsis", () => {
    const targets = (platform: string) =>
      ((config[platform] as { target: { target: string }[] }).target ?? []).map((t) => t.target);
    expect(targets("linux")).toEqual(["AppImage", "deb"]);
    expect(targets("mac")).toEqual(["dmg"]);
    expect(targets("win")).toEqual(["nsis"]);
  });

  it("unpacks node-llama-cpp's binaries and better-sqlite3's addon from the asar", () => {
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toEqual(
      expect.arrayContaining([
        "node_modules/node-llama-cpp/bins",
        "node_modules/node-llama-cpp/llama/localBuilds",
        "node_modules/@node-llama-cpp/*",
        "node_modules/better-sqlite3/**/*.node",
        "node_modules/pdfjs-dist/**/*",
      ]),
    );
    expect(fs.existsSync(path.join(root, config.icon as string))).toBe(true);
  });

  it("ships, of the local llama.cpp builds, only the one `npm run dist` names", () => {
    const localBuilds = (config.files as string[]).filter((pattern) => pattern.includes("llama/localBuilds"));
    expect(localBuilds).toEqual([
      "!node_modules/node-llama-cpp/llama/localBuilds/**/*",
      "node_modules/node-llama-cpp/llama/localBuilds/${os}-${arch}-${env.REPRISE_LLAMA_BUILD}/**/*",
    ]);
    expect(fs.readFileSync(path.join(root, "build/scripts/dist.ts"), "utf8")).toContain("REPRISE_LLAMA_BUILD: build,");
  });

  it("packages the entry point package.json names", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { main: string };
    expect(pkg.main).toBe("out/main/main.js");
    expect(config.files).toContain("out/**/*");
  });
});
