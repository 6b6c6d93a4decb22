import { defineConfig } from "vitest/config";

// The client's unit tests (`npx vitest run`, also run by `make test`). The live suite
// against a real gateway has its own config: vitest.live.config.ts.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
  },
});
