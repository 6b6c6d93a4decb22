package auth

import "errors"

// Admin token errors. Verify wraps one of these with detail, so callers test with
// errors.Is and may show the sentinel's message to the client.
var (
	// ErrInvalidToken means the token is malformed, its signature does not verify,
	// its algorithm is not accepted, its key is unknown, or a required claim is missing.
	ErrInvalidToken = errors.New("auth: invalid token")
	// ErrTokenExpired means the token's exp is in the past (beyond the leeway).
	ErrTokenExpired = errors.New("auth: token expired")
	// ErrTokenRevoked means a local token's version is no longer its admin's
	// (a password reset or a logout since it was issued), or the admin is gone.
	ErrTokenRevoked = errors.New("auth: token revoked")
	// ErrTokenNotYetValid means the token's nbf or iat is in the future.
	ErrTokenNotYetValid = errors.New("auth: token not yet valid")
	// ErrWrongIssuer means the token's iss is not the configured issuer.
	ErrWrongIssuer = errors.New("auth: wrong token issuer")
	// ErrWrongAudience means the token's aud does not contain the configured audience.
	ErrWrongAudience = errors.New("auth: wrong token audience")
	// ErrNotAdmin means the token is genuine but does not carry the admin role.
	ErrNotAdmin = errors.New("auth: token does not grant the admin role")
	// ErrKeysUnavailable means the identity provider's signing keys could not be
	// fetched; it is a server-side failure (503), not the client's fault.
	ErrKeysUnavailable = errors.New("auth: identity provider keys unavailable")
)

// Request signing errors.
var (
	// ErrSignatureMissing means the timestamp or signature header is absent.
	ErrSignatureMissing = errors.New("auth: request signature missing")
	// ErrSignatureInvalid means the headers are malformed or the HMAC does not match.
	ErrSignatureInvalid = errors.New("auth: request signature invalid")
	// ErrSignatureExpired means the timestamp is outside the accepted window, in
	// either direction.
	ErrSignatureExpired = errors.New("auth: request signature timestamp outside window")
	// ErrSignatureReplayed means this exact signature was already accepted.
	ErrSignatureReplayed = errors.New("auth: request signature replayed")
	// ErrReplayCacheFull means the signing secret's share of the replay cache is
	// at capacity with live entries; the request is refused rather than risk
	// accepting a replay.
	ErrReplayCacheFull = errors.New("auth: replay cache full")
)

// Password errors.
var (
	// ErrInvalidHash means an encoded password hash is not a supported argon2id
	// PHC string.
	ErrInvalidHash = errors.New("auth: invalid password hash")
	// ErrEmptyPassword means HashPassword was given an empty password.
	ErrEmptyPassword = errors.New("auth: empty password")
)
