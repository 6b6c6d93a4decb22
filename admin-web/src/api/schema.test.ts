import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";

// The committed TypeScript client types must be what openapi-typescript makes of the
// committed spec: run `make generate` after changing the API.
test("openapi/ts/schema.d.ts is up to date with openapi/openapi.yaml", () => {
  const root = join(__dirname, "..", "..", "..");
  const out = join(mkdtempSync(join(tmpdir(), "ccg-ts-")), "schema.d.ts");
  execFileSync(join(root, "admin-web", "node_modules", ".bin", "openapi-typescript"), [join(root, "openapi", "openapi.yaml"), "-o", out], { stdio: "pipe" });
  const fresh = readFileSync(out, "utf8");
  const committed = readFileSync(join(root, "openapi", "ts", "schema.d.ts"), "utf8");
  expect(committed === fresh, "openapi/ts/schema.d.ts is stale: run `make generate`").toBe(true);
}, 60_000);
