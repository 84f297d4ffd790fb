import path from "node:path";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "electron-vite";

const root = path.resolve(import.meta.dirname, "..");

export default defineConfig({
  main: {
    build: {
      outDir: path.join(root, "out/main"),
      rollupOptions: { input: { main: path.join(root, "electron/main.ts") } },
    },
  },
  preload: {
    build: {
      outDir: path.join(root, "out/preload"),
      // A sandboxed preload cannot be an ES module.
      rollupOptions: {
        input: { preload: path.join(root, "electron/preload.ts") },
        output: { format: "cjs", entryFileNames: "[name].cjs" },
      },
    },
  },
  renderer: {
    root: path.join(root, "renderer"),
    plugins: [svelte()],
    build: {
      outDir: path.join(root, "out/renderer"),
      rollupOptions: { input: path.join(root, "renderer/index.html") },
    },
  },
});
