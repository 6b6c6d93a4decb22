package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// minRSABits is the smallest RSA modulus accepted from a key set.
const minRSABits = 2048

// rawJWK is a JSON Web Key (RFC 7517) as published in a key set; only public
// members are read.
type rawJWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// publicKey decodes the key. Unsupported or malformed keys are errors, which the
// key set fetch skips so one odd key does not hide the others.
func (r rawJWK) publicKey() (crypto.PublicKey, error) {
	switch r.Kty {
	case "RSA":
		n, err1 := b64url(r.N)
		e, err2 := b64url(r.E)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n)}
		if pub.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("RSA key %q: modulus under %d bits", r.Kid, minRSABits)
		}
		if len(e) == 0 || len(e) > 4 {
			return nil, fmt.Errorf("RSA key %q: bad exponent", r.Kid)
		}
		for _, b := range e {
			pub.E = pub.E<<8 | int(b)
		}
		if pub.E < 3 || pub.E%2 == 0 {
			return nil, fmt.Errorf("RSA key %q: bad exponent", r.Kid)
		}
		return pub, nil
	case "EC":
		var curve elliptic.Curve
		switch r.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, fmt.Errorf("EC key %q: unsupported curve %q", r.Kid, r.Crv)
		}
		size := (curve.Params().BitSize + 7) / 8
		x, err1 := b64url(r.X)
		y, err2 := b64url(r.Y)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		if len(x) > size || len(y) > size {
			return nil, fmt.Errorf("EC key %q: coordinate too long", r.Kid)
		}
		point := make([]byte, 1+2*size)
		point[0] = 4
		copy(point[1+size-len(x):1+size], x)
		copy(point[1+2*size-len(y):], y)
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, point) // checks the point is on the curve
		if err != nil {
			return nil, fmt.Errorf("EC key %q: %w", r.Kid, err)
		}
		return pub, nil
	case "OKP":
		x, err := b64url(r.X)
		if err != nil {
			return nil, err
		}
		if r.Crv != "Ed25519" || len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("OKP key %q: unsupported curve %q", r.Kid, r.Crv)
		}
		return ed25519.PublicKey(x), nil
	default:
		return nil, fmt.Errorf("key %q: unsupported kty %q", r.Kid, r.Kty)
	}
}

// b64url decodes unpadded base64url, tolerating padding some providers add.
func b64url(s string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("bad base64url member")
	}
	return b, nil
}
