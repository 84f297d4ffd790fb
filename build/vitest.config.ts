import path from "node:path";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { svelteTesting } from "@testing-library/svelte/vite";
import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  root: path.resolve(import.meta.dirname, ".."),
  test: {
    // The model tests share two cores; running files in parallel only makes each slower.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "test/renderer/**"],
        },
      },
      {
        // Svelte components compile for the browser and run in jsdom; kept apart so
        // the browser resolve condition never reaches main-process tests.
        extends: true,
        plugins: [svelte(), svelteTesting()],
        test: {
          name: "renderer",
          include: ["test/renderer/**/*.test.ts"],
          environment: "jsdom",
          setupFiles: ["test/renderer/setup.ts"],
        },
      },
    ],
  },
});
