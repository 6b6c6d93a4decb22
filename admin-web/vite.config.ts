import { cpSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";
import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";

const here = dirname(fileURLToPath(import.meta.url));

// swaggerUI copies the Swagger UI bundle into dist/docs, next to the page and
// initializer in public/docs, so /docs needs no CDN.
function swaggerUI(): Plugin {
  return {
    name: "ccgateway-swagger-ui",
    apply: "build",
    closeBundle() {
      const from = resolve(here, "node_modules/swagger-ui-dist");
      const to = resolve(here, "dist/docs");
      mkdirSync(to, { recursive: true });
      for (const f of ["swagger-ui-bundle.js", "swagger-ui.css"]) cpSync(resolve(from, f), resolve(to, f));
    },
  };
}

export default defineConfig({
  base: "/console/",
  plugins: [react(), swaggerUI()],
  // The server replaces this with a fresh nonce in every index.html response.
  html: { cspNonce: "__CCG_CSP_NONCE__" },
  resolve: {
    // openapi/ts (outside this folder) imports openapi-fetch: resolve it from here.
    dedupe: ["openapi-fetch", "react", "react-dom"],
    alias: { "openapi-fetch": resolve(here, "node_modules/openapi-fetch") },
  },
  server: { proxy: { "/admin": "http://127.0.0.1:8080", "/api": "http://127.0.0.1:8080", "/readyz": "http://127.0.0.1:8080" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes("@mui/x-charts") || id.includes("d3-")) return "charts";
          if (id.includes("@mui/x-data-grid")) return "grid";
          if (id.includes("node_modules")) return "vendor";
        },
      },
    },
  },
  // Unit tests run in Node: they test the data layer, forms, i18n and the generated
  // client; the pages are tested in a real browser (e2e/).
  test: {
    environment: "node",
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
