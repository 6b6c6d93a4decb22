package store

import (
	"fmt"
	"testing"
	"time"
)

// TestTranscriptCommitsAppend: a commit whose transcript extends the stored one
// writes only the new bytes (one chunk row), and the base (chunk 0) keeps the first
// commit's bytes; the benchmark below shows what that saves.
func TestTranscriptCommitsAppend(t *testing.T) {
	st, convID, lease := transcriptFixture(t)
	data := []byte("one\n")
	for i, more := range []string{"", "two\n", "three\n"} {
		data = append(data, more...)
		msgs := []*Message{{Role: "user", Content: "hi"}, {ID: fmt.Sprintf("m%d", i), Role: "assistant", Content: "x"}}
		if err := st.CommitTurn(t.Context(), lease, msgs, &Transcript{SessionID: "s", Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	var base []byte
	var chunks int
	if err := st.w.QueryRowContext(t.Context(), `SELECT data FROM cli_transcript_chunks WHERE conversation_id = ? AND seq = 0`, convID).Scan(&base); err != nil {
		t.Fatal(err)
	}
	if err := st.w.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM cli_transcript_chunks WHERE conversation_id = ?`, convID).Scan(&chunks); err != nil {
		t.Fatal(err)
	}
	if string(base) != "one\n" || chunks != 3 {
		t.Fatalf("base %q with %d chunk rows, want the first commit's bytes and 2 appended chunks", base, chunks)
	}
}

// BenchmarkCommitTurn commits a turn of a conversation whose transcript has grown
// to size, adding 35 KB (what a CLI turn adds) each time.
func BenchmarkCommitTurn(b *testing.B) {
	for _, size := range []int{100 << 10, 1 << 20, 4 << 20} {
		b.Run(fmt.Sprintf("transcript=%dKB", size>>10), func(b *testing.B) {
			st, _, lease := transcriptFixture(b)
			data := make([]byte, size, size+300*35<<10)
			i := 0
			for b.Loop() {
				data = append(data, make([]byte, 35<<10)...)
				i++
				msgs := []*Message{{Role: "user", Content: "hi"}, {ID: fmt.Sprintf("m%d", i), Role: "assistant", Content: "x"}}
				if err := st.CommitTurn(b.Context(), lease, msgs, &Transcript{SessionID: "s", Data: data}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func transcriptFixture(tb testing.TB) (*sqlStore, string, *Lease) {
	tb.Helper()
	s, err := Open(tb.Context(), "", tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	st := s.(*sqlStore)
	k := &APIKey{Name: "k", Prefix: "sk-ccg-t", Hash: "h", Status: KeyActive}
	if err := st.CreateAPIKey(tb.Context(), k); err != nil {
		tb.Fatal(err)
	}
	c := &Conversation{APIKeyID: k.ID, SessionID: "s", Metadata: map[string]string{}}
	if err := st.CreateConversation(tb.Context(), c); err != nil {
		tb.Fatal(err)
	}
	lease, err := st.AcquireLease(tb.Context(), c.ID, "node", time.Minute)
	if err != nil {
		tb.Fatal(err)
	}
	return st, c.ID, lease
}

// BenchmarkGetConversation reads one conversation row, as every turn's
// admission does.
func BenchmarkGetConversation(b *testing.B) {
	st, id, _ := transcriptFixture(b)
	var key string
	if err := st.rd().queryRow(b.Context(), `SELECT api_key_id FROM conversations WHERE id = ?`, id).Scan(&key); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := st.GetConversation(b.Context(), key, id); err != nil {
			b.Fatal(err)
		}
	}
}
