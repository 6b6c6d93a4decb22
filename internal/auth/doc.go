// Package auth holds ccgateway's credential primitives: the API key format and its
// hashing, admin passwords (argon2id), admin bearer tokens (locally issued HS256,
// a shared-secret HS256 from an existing system, or OIDC/JWKS from an identity
// provider), HMAC request signing with a replay cache, client IP resolution behind
// trusted proxies, and an in-memory limiter for failed authentication attempts.
//
// It is a pure library: it never touches the database or registers HTTP routes, and
// it never logs. Callers in api/ map its sentinel errors to HTTP problems.
package auth
