package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ccgateway/ccgateway/api/tenant"
	"github.com/ccgateway/ccgateway/internal/store"
)

// newStoredConversation creates a conversation for key over HTTP and stores n
// messages in it directly (no CLI turns): message i (1-based) has content "m<i>".
func newStoredConversation(t *testing.T, g *gateway, key string, contents ...string) string {
	t.Helper()
	resp, b := g.do(context.Background(), "POST", "/api/conversations", key, tenant.ConversationCreate{Title: "long"})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	var conv tenant.Conversation
	if err := json.Unmarshal(b, &conv); err != nil {
		t.Fatal(err)
	}
	msgs := make([]*store.Message, len(contents))
	for i, c := range contents {
		msgs[i] = &store.Message{Role: []string{"user", "assistant"}[i%2], Content: c}
	}
	if err := g.st.AppendMessages(context.Background(), conv.ID, msgs); err != nil {
		t.Fatal(err)
	}
	return conv.ID
}

// getDetail GETs path and decodes a 200 ConversationDetail.
func getDetail(t *testing.T, g *gateway, key, path string) tenant.ConversationDetail {
	t.Helper()
	resp, b := g.do(context.Background(), "GET", path, key, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	var d tenant.ConversationDetail
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// pageSeqs returns the seqs of d's messages, checking each one's content.
func pageSeqs(t *testing.T, d tenant.ConversationDetail) []int64 {
	t.Helper()
	out := make([]int64, len(d.Messages))
	for i, m := range d.Messages {
		if want := fmt.Sprintf("m%d", m.Seq); m.Content != want {
			t.Fatalf("message seq %d content %q, want %q", m.Seq, m.Content, want)
		}
		out[i] = m.Seq
	}
	return out
}

func seqRange(from, to int64) []int64 {
	var out []int64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func TestConversationMessagesPage(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	const n = 250
	contents := make([]string, n)
	for i := range contents {
		contents[i] = fmt.Sprintf("m%d", i+1)
	}
	path := "/api/conversations/" + newStoredConversation(t, g, key, contents...)

	t.Run("default page is the latest 100 in order", func(t *testing.T) {
		d := getDetail(t, g, key, path)
		if got := pageSeqs(t, d); !slices.Equal(got, seqRange(151, 250)) {
			t.Fatalf("seqs %v", got)
		}
		if d.MessagesTotal != n || !d.MessagesHasMore || d.Title != "long" {
			t.Fatalf("total %d has_more %v title %q", d.MessagesTotal, d.MessagesHasMore, d.Title)
		}
	})
	t.Run("cursor paging reaches the first message", func(t *testing.T) {
		var all []int64
		q := path + "?messages_limit=60"
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			d := getDetail(t, g, key, q)
			all = append(pageSeqs(t, d), all...)
			if !d.MessagesHasMore {
				break
			}
			q = fmt.Sprintf("%s?messages_limit=60&messages_before=%d", path, d.Messages[0].Seq)
		}
		if !slices.Equal(all, seqRange(1, n)) {
			t.Fatalf("paged seqs %v", all)
		}
	})
	limits := []struct {
		query   string
		want    []int64
		hasMore bool
	}{
		{"?messages_limit=1", seqRange(250, 250), true},
		{"?messages_limit=1000", seqRange(1, 250), false},
		{"?messages_before=11", seqRange(1, 10), false},
		{"?messages_before=111&messages_limit=10", seqRange(101, 110), true},
		{"?messages_before=1", []int64{}, false},
	}
	for _, tc := range limits {
		t.Run("query "+tc.query, func(t *testing.T) {
			d := getDetail(t, g, key, path+tc.query)
			if got := pageSeqs(t, d); !slices.Equal(got, tc.want) || d.MessagesHasMore != tc.hasMore || d.MessagesTotal != n {
				t.Fatalf("seqs %v has_more %v total %d", got, d.MessagesHasMore, d.MessagesTotal)
			}
		})
	}
	for _, bad := range []string{"messages_limit=0", "messages_limit=1001", "messages_limit=x", "messages_before=0", "messages_before=-5"} {
		t.Run("invalid "+bad, func(t *testing.T) {
			resp, b := g.do(context.Background(), "GET", path+"?"+bad, key, nil)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d %s", resp.StatusCode, b)
			}
			p := decodeProblem(t, resp, b)
			name := strings.SplitN(bad, "=", 2)[0]
			if p.Code != "validation_failed" || len(p.Errors) == 0 || p.Errors[0].Location != "query."+name {
				t.Fatalf("problem %s", b)
			}
		})
	}
}

func TestConversationMessagesPageByteBound(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	big := strings.Repeat("x", tenant.MaxMessagesBytes*3/4)
	path := "/api/conversations/" + newStoredConversation(t, g, key, "m1", big+"2", big+"3", "m4")
	d := getDetail(t, g, key, path)
	// m4 and big3 fit in the bound; big2 would pass it.
	if len(d.Messages) != 2 || d.Messages[0].Seq != 3 || d.Messages[1].Seq != 4 || !d.MessagesHasMore || d.MessagesTotal != 4 {
		t.Fatalf("page of %d messages (first seq %d), has_more %v, total %d", len(d.Messages), d.Messages[0].Seq, d.MessagesHasMore, d.MessagesTotal)
	}
	d = getDetail(t, g, key, path+"?messages_before=3")
	if len(d.Messages) != 2 || d.Messages[0].Seq != 1 || d.Messages[1].Content != big+"2" || d.MessagesHasMore {
		t.Fatalf("second page of %d messages, has_more %v", len(d.Messages), d.MessagesHasMore)
	}
	// A single message over the bound still comes back, alone.
	huge := strings.Repeat("y", tenant.MaxMessagesBytes+1)
	path = "/api/conversations/" + newStoredConversation(t, g, key, "m1", huge)
	d = getDetail(t, g, key, path)
	if len(d.Messages) != 1 || d.Messages[0].Content != huge || !d.MessagesHasMore {
		t.Fatalf("page of %d messages, has_more %v", len(d.Messages), d.MessagesHasMore)
	}
}
