import { createHash } from "node:crypto";
import { expect, test } from "vitest";
import { decodeJwt, pkceChallenge } from "./sso";

test("the PKCE challenge is base64url(SHA-256(verifier)) without padding (RFC 7636 S256)", async () => {
  const verifier = "dBjftJeZ4CVP-mJ92K8o8-8N7ygbXYs0J3h0R8OHwqk";
  const want = createHash("sha256").update(verifier).digest("base64url");
  const got = await pkceChallenge(verifier);
  expect(got).toBe(want);
  expect(got).toMatch(/^[A-Za-z0-9_-]{43}$/);
});

test("decodeJwt reads base64url claims, UTF-8 included", () => {
  const claims = { sub: "auth0|42", name: "管理员", exp: 1700000000, nonce: "n-1" };
  const b64 = Buffer.from(JSON.stringify(claims)).toString("base64url");
  expect(decodeJwt(`eyJhbGciOiJSUzI1NiJ9.${b64}.sig`)).toEqual(claims);
});
