// Single sign-on: OpenID Connect authorization code flow with PKCE (a public
// client, no secret). The console sends the provider's ID token to the gateway,
// which verifies it against the provider's JWKS as for any OIDC admin token.
import type { Schema } from "../../../openapi/ts";
import { session } from "./session";

type Pending = { verifier: string; state: string; nonce: string; tokenEndpoint: string; clientId: string; redirectUri: string };
const pendingKey = "ccg.sso";

function b64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function random(n = 32): string {
  return b64url(crypto.getRandomValues(new Uint8Array(n)));
}

export async function pkceChallenge(verifier: string): Promise<string> {
  return b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
}

export function redirectUri(): string {
  return `${window.location.origin}/console/sso`;
}

/** startSSO sends the browser to the provider's sign-in page. */
export async function startSSO(opt: Schema<"OIDCOption">): Promise<void> {
  const res = await fetch(`${opt.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`the identity provider's discovery document answered ${res.status}`);
  const disco = (await res.json()) as { authorization_endpoint: string; token_endpoint: string };
  const p: Pending = { verifier: random(48), state: random(), nonce: random(), tokenEndpoint: disco.token_endpoint, clientId: opt.client_id, redirectUri: redirectUri() };
  sessionStorage.setItem(pendingKey, JSON.stringify(p));
  const u = new URL(disco.authorization_endpoint);
  u.search = new URLSearchParams({
    response_type: "code", client_id: opt.client_id, redirect_uri: p.redirectUri, scope: (opt.scopes.length ? opt.scopes : ["openid"]).join(" "),
    state: p.state, nonce: p.nonce, code_challenge: await pkceChallenge(p.verifier), code_challenge_method: "S256",
  }).toString();
  window.location.assign(u.toString());
}

/** decodeJwt reads a JWT's claims (no verification: the gateway verifies). */
export function decodeJwt(token: string): Record<string, unknown> {
  const part = token.split(".")[1] ?? "";
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
}

/** completeSSO exchanges the callback's code for tokens and starts the session. */
export async function completeSSO(search: string): Promise<void> {
  const q = new URLSearchParams(search);
  const p = JSON.parse(sessionStorage.getItem(pendingKey) ?? "null") as Pending | null;
  sessionStorage.removeItem(pendingKey);
  if (q.get("error")) throw new Error(q.get("error_description") || q.get("error") || "sign-in refused");
  if (!p || q.get("state") !== p.state) throw new Error("this sign-in did not start here (state mismatch): try again");
  const res = await fetch(p.tokenEndpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code: q.get("code") ?? "", redirect_uri: p.redirectUri, client_id: p.clientId, code_verifier: p.verifier }),
  });
  if (!res.ok) throw new Error(`the identity provider refused the code (${res.status})`);
  const tok = (await res.json()) as { id_token?: string };
  if (!tok.id_token) throw new Error("the identity provider sent no ID token (is the openid scope granted?)");
  const claims = decodeJwt(tok.id_token);
  if (claims.nonce !== p.nonce) throw new Error("the ID token's nonce does not match this sign-in");
  session.start({ token: tok.id_token, expiresAt: Number(claims.exp) * 1000, method: "sso" });
}
