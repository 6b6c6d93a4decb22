import { defineConfig } from "vitest/config";

// The end-to-end suite: real headless Chromium (Debian's chromium, driven by
// playwright-core) against a real gateway that e2e_test.go starts with the real
// CLI and the fake Anthropic API. Run it through `go test ./admin-web -run TestConsoleEndToEnd`.
export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    sequence: { concurrent: false },
    reporters: ["verbose"],
    bail: 1,
  },
});
