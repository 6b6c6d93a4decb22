package auth

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestGenerateKey(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		k, err := GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		if len(k.Secret) != KeyLen || !strings.HasPrefix(k.Secret, KeyPrefix) || !LooksLikeKey(k.Secret) {
			t.Fatalf("bad secret shape: %d chars", len(k.Secret))
		}
		if k.Hash != HashKey(k.Secret) || len(k.Hash) != 64 {
			t.Fatal("hash mismatch")
		}
		if k.Prefix != k.Secret[:12]+"…" {
			t.Fatalf("prefix = %q", k.Prefix)
		}
		if seen[k.Secret] {
			t.Fatal("duplicate key")
		}
		seen[k.Secret] = true
	}
}

func TestKeyDoesNotLeakSecret(t *testing.T) {
	k, _ := GenerateKey()
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("created", "key", k)
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k), logged.String()} {
		if strings.Contains(s, k.Secret[12:]) {
			t.Fatalf("secret leaked in %q", s)
		}
	}
}

func TestLooksLikeKey(t *testing.T) {
	k, _ := GenerateKey()
	flip := []byte(k.Secret)
	flip[20] ^= 'a' ^ 'b'
	if flip[20] == k.Secret[20] {
		flip[20] = 'Z'
	}
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"generated", k.Secret, true},
		{"empty", "", false},
		{"prefix only", KeyPrefix, false},
		{"typo breaks checksum", string(flip), false},
		{"truncated", k.Secret[:KeyLen-1], false},
		{"extra char", k.Secret + "a", false},
		{"other prefix", "sk-ant-" + k.Secret[len(KeyPrefix):], false},
		{"bad alphabet", k.Secret[:10] + "_" + k.Secret[11:], false},
		{"signing secret", "sig-ccg-" + k.Secret[len(KeyPrefix):], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LooksLikeKey(tt.in); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMaskKey(t *testing.T) {
	k, _ := GenerateKey()
	tests := []struct {
		name, in, want string
	}{
		{"api key", k.Secret, k.Secret[:12] + "…"},
		{"long other secret", "ghp_abcdefghijklmnopqrstuvwxyz", "ghp_…"},
		{"short string", "hunter2", "…"},
		{"empty", "", "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskKey(tt.in); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestGenerateSigningSecret(t *testing.T) {
	a, err := GenerateSigningSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateSigningSecret()
	if a == b || !strings.HasPrefix(a, SigningSecretPrefix) || len(a) != len(SigningSecretPrefix)+43 || LooksLikeKey(a) {
		t.Fatalf("bad signing secrets %d chars", len(a))
	}
}
