import { fileURLToPath } from "node:url";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";

const uiRoot = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: uiRoot,
  plugins: [svelte()],
  // The webview loads files from the app bundle: relative URLs, no CDN.
  base: "./",
  clearScreen: false,
  // Caches go under the root node_modules (ignored by git), not ui/.
  cacheDir: "../node_modules/.vite",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK 2.40+ and WebView2 both run ES2021.
    target: "es2021",
    // Inlined assets would become data: URLs, which the CSP refuses.
    assetsInlineLimit: 0,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
