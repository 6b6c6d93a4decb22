package auth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

func TestPasswordRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=2,p=2$") || NeedsRehash(h) {
		t.Fatalf("unexpected encoding %q", h)
	}
	h2, _ := HashPassword("correct horse battery staple")
	if h == h2 {
		t.Fatal("two hashes share a salt")
	}
	tests := []struct {
		name, pw string
		want     bool
	}{
		{"right", "correct horse battery staple", true},
		{"wrong", "correct horse battery stapler", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := VerifyPassword(h, tt.pw)
			if err != nil || ok != tt.want {
				t.Fatalf("ok=%v err=%v, want %v", ok, err, tt.want)
			}
		})
	}
	if _, err := HashPassword(""); !errors.Is(err, ErrEmptyPassword) {
		t.Fatalf("err = %v, want ErrEmptyPassword", err)
	}
}

func TestVerifyPasswordOtherParams(t *testing.T) {
	// A cheap hash (m=8 KiB, t=1, p=1) stands for one stored under older parameters.
	p := argon2Params{memoryKiB: 8, time: 1, threads: 1}
	salt := []byte("saltsaltsaltsalt")
	enc := encodeForTest(p, salt, "pw")
	if ok, err := VerifyPassword(enc, "pw"); err != nil || !ok {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	if !NeedsRehash(enc) {
		t.Fatal("old parameters should need a rehash")
	}
}

func TestVerifyPasswordRejectsBadHashes(t *testing.T) {
	const salt, sum = "c2FsdHNhbHRzYWx0c2FsdA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	tests := []struct{ name, enc string }{
		{"empty", ""},
		{"bcrypt", "$2a$10$abcdefghijklmnopqrstuu5Z3B7XvW1fxmGdjJ0S3Yp6iP7BzK5Qe"},
		{"argon2i", "$argon2i$v=19$m=65536,t=2,p=2$" + salt + "$" + sum},
		{"old version", "$argon2id$v=16$m=65536,t=2,p=2$" + salt + "$" + sum},
		{"huge memory", "$argon2id$v=19$m=4194304,t=2,p=2$" + salt + "$" + sum},
		{"huge time", "$argon2id$v=19$m=65536,t=1000,p=2$" + salt + "$" + sum},
		{"zero threads", "$argon2id$v=19$m=65536,t=2,p=0$" + salt + "$" + sum},
		{"unknown param", "$argon2id$v=19$m=65536,t=2,p=2,x=1$" + salt + "$" + sum},
		{"bad salt", "$argon2id$v=19$m=65536,t=2,p=2$!!$" + sum},
		{"short hash", "$argon2id$v=19$m=65536,t=2,p=2$" + salt + "$AAAA"},
		{"missing part", "$argon2id$v=19$m=65536,t=2,p=2$" + salt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := VerifyPassword(tt.enc, "pw"); !errors.Is(err, ErrInvalidHash) {
				t.Fatalf("err = %v, want ErrInvalidHash", err)
			}
			if !NeedsRehash(tt.enc) {
				t.Fatal("unparsable hash should need a rehash")
			}
		})
	}
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func encodeForTest(p argon2Params, salt []byte, pw string) string {
	sum := argon2.IDKey([]byte(pw), salt, p.time, p.memoryKiB, p.threads, 32)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", p.memoryKiB, p.time, p.threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(sum))
}
