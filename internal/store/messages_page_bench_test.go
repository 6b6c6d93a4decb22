package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/internal/store"
)

// BenchmarkMessagesPage reads the default page (latest 100) of a 20,000-message
// conversation, against reading the whole history as GET /api/conversations/{id}
// did before it was paged.
func BenchmarkMessagesPage(b *testing.B) {
	backends := []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"sqlite", func(b *testing.B) store.Store { return openSQLite(b) }},
		{"postgres", func(b *testing.B) store.Store { return openPostgres(b) }},
	}
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			ctx := context.Background()
			k := &store.APIKey{ID: uuid.NewString(), Name: "key", Prefix: "sk-ccg-Ab", Hash: uuid.NewString(), Status: store.KeyActive}
			c := &store.Conversation{APIKeyID: k.ID, Model: "sonnet"}
			if err := s.CreateAPIKey(ctx, k); err != nil {
				b.Fatal(err)
			}
			if err := s.CreateConversation(ctx, c); err != nil {
				b.Fatal(err)
			}
			text := strings.Repeat("x", 200)
			for range 20 {
				msgs := make([]*store.Message, 1000)
				for i := range msgs {
					msgs[i] = &store.Message{Role: "user", Content: text}
				}
				if err := s.AppendMessages(ctx, c.ID, msgs); err != nil {
					b.Fatal(err)
				}
			}
			b.Run("page", func(b *testing.B) {
				for b.Loop() {
					p, err := s.ListMessagesPage(ctx, c.ID, store.MessagePageQuery{Limit: 100, MaxBytes: 2 << 20})
					if err != nil || len(p.Messages) != 100 {
						b.Fatal(err)
					}
				}
			})
			b.Run("all", func(b *testing.B) {
				for b.Loop() {
					if _, err := s.ListMessages(ctx, c.ID); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
