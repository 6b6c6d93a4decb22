package auth_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"strings"
	"time"

	"github.com/ccgateway/ccgateway/internal/auth"
)

func ExampleGenerateKey() {
	key, err := auth.GenerateKey()
	if err != nil {
		panic(err)
	}
	// Show key.Secret to its owner once; store only key.Prefix and key.Hash.
	fmt.Println(strings.HasPrefix(key.Secret, auth.KeyPrefix), len(key.Secret))
	fmt.Println(auth.LooksLikeKey(key.Secret), auth.HashKey(key.Secret) == key.Hash)
	fmt.Println(len(key.Prefix) == len("sk-ccg-AbCde…"))
	// Output:
	// true 56
	// true true
	// true
}

func ExampleHashKey() {
	fmt.Println(auth.HashKey("sk-ccg-example"))
	// Output: 77bafd09c6d8b32b02853b688150009ba9f79dc30d0cbfce124b65bfb1e4375a
}

func ExampleLooksLikeKey() {
	fmt.Println(auth.LooksLikeKey("sk-ccg-not-a-real-key"))
	fmt.Println(auth.LooksLikeKey("Bearer hello"))
	// Output:
	// false
	// false
}

func ExampleMaskKey() {
	fmt.Println(auth.MaskKey("ghp_0123456789abcdefghijklmnop"))
	fmt.Println(auth.MaskKey("hunter2"))
	// Output:
	// ghp_…
	// …
}

func ExampleSign() {
	sig := auth.Sign("sig-ccg-example", 1700000000, "POST", "/v1/messages?stream=true", []byte(`{"model":"sonnet"}`))
	fmt.Println(sig)
	// Output: v1=0a2b6fe75e1037ce651d0ee0e65c483e03ffa3a3ffe562de4b25eddd434ee743
}

func ExampleSignatureVerifier() {
	const secret = "sig-ccg-example"
	body := []byte(`{"model":"sonnet"}`)
	r := httptest.NewRequest("POST", "/v1/messages", strings.NewReader(string(body)))
	ts := time.Now().Unix()
	r.Header.Set(auth.HeaderTimestamp, fmt.Sprint(ts))
	r.Header.Set(auth.HeaderSignature, auth.Sign(secret, ts, r.Method, r.URL.RequestURI(), body))

	v := auth.NewSignatureVerifier(auth.SigningConfig{})
	fmt.Println(v.VerifyRequest(secret, r, body))
	fmt.Println(v.VerifyRequest(secret, r, body)) // the same request again
	// Output:
	// <nil>
	// auth: request signature replayed
}

func ExampleVerifier() {
	cfg := auth.Config{Local: auth.LocalConfig{Secret: "an-example-secret-of-32-bytes-or-more"}}
	issuer, err := auth.NewIssuer(cfg.Local)
	if err != nil {
		panic(err)
	}
	token, _, err := issuer.Issue("admin", 1, time.Hour)
	if err != nil {
		panic(err)
	}
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		panic(err)
	}
	p, err := v.Verify(context.Background(), token)
	fmt.Println(p.Subject, p.Method, err)
	// Output: admin local <nil>
}

func ExampleClientIP() {
	trusted, _ := auth.ParseCIDRs([]string{"10.0.0.0/8"})
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.2:51000" // our load balancer
	r.Header.Set("X-Forwarded-For", "6.6.6.6, 198.51.100.7")
	ip := auth.ClientIP(r, trusted)
	allow, _ := auth.ParseCIDRs([]string{"198.51.100.0/24"})
	fmt.Println(ip, auth.AllowedIP(ip, allow), auth.AllowedIP(netip.MustParseAddr("6.6.6.6"), allow))
	// Output: 198.51.100.7 true false
}
