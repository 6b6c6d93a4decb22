import { defineConfig } from "vitest/config";

// The live suite: the generated client, the streaming helper and the Vercel AI SDK
// against a real gateway that flow_test.go starts (the real CLI, the fake Anthropic
// API) and names in GATEWAY_URL and ADMIN_PASSWORD. Run it through
// `go test ./openapi/ts -run TestTypeScriptClient`.
export default defineConfig({
  test: {
    include: ["test/**/*.live.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    sequence: { concurrent: false },
    reporters: ["verbose"],
    bail: 1,
  },
});
