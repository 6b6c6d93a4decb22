package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/admin"
	"github.com/ccgateway/ccgateway/api/tenant"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// seedUsage stores events for two keys over the last hours.
func seedUsage(t *testing.T, g *gateway, a, b string) time.Time {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Hour)
	var evs []*store.UsageEvent
	add := func(key string, at time.Time, model string, status int, tokens int64, ms int64) {
		evs = append(evs, &store.UsageEvent{APIKeyID: key, Timestamp: at, Endpoint: "/api/chat", Method: "POST", Model: model,
			StatusCode: status, RequestTokens: tokens, ResponseTokens: tokens / 2, TotalTokens: tokens + tokens/2,
			CostUSD: float64(tokens) / 1e4, ResponseTimeMS: ms, RequestID: "seed"})
		if status >= 400 {
			evs[len(evs)-1].Error = api.CodeUpstreamError
		}
	}
	for i := range 10 {
		add(a, now.Add(-2*time.Hour+time.Duration(i)*time.Minute), "claude-sonnet-4-5", 200, 100, int64(100*(i+1)))
	}
	add(a, now.Add(-time.Hour), "claude-opus-4-1", 502, 0, 50)
	add(b, now.Add(-time.Hour+time.Minute), "claude-opus-4-1", 200, 1000, 3000)
	if err := g.st.InsertUsageEvents(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	return now
}

func TestAdminUsageAPI(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	adminTok := g.adminToken()
	ctx := context.Background()
	_, ka := g.newKey(store.KeyActive, func(k *store.APIKey) { k.Name = "alpha" })
	_, kb := g.newKey(store.KeyActive, func(k *store.APIKey) { k.Name = "beta" })
	now := seedUsage(t, g, ka.ID, kb.ID)
	from := now.Add(-3 * time.Hour).Format(time.RFC3339)
	to := now.Format(time.RFC3339)

	t.Run("hourly series", func(t *testing.T) {
		r, b := g.do(ctx, "GET", "/admin/usage?granularity=hour&from="+from+"&to="+to, adminTok, nil)
		s := decode[admin.UsageSeries](t, b)
		if r.StatusCode != 200 || len(s.Buckets) != 3 {
			t.Fatalf("%d %s", r.StatusCode, b)
		}
		two := s.Buckets[1]
		if two.Requests != 10 || two.Errors != 0 || two.TotalTokens != 1500 || two.P50MS != 500 || two.P95MS != 1000 {
			t.Errorf("bucket 2h ago %+v", two)
		}
		if one := s.Buckets[2]; one.Requests != 2 || one.Errors != 1 {
			t.Errorf("bucket 1h ago %+v", one)
		}
	})
	t.Run("filtered by key and model", func(t *testing.T) {
		_, b := g.do(ctx, "GET", "/admin/usage?granularity=day&from="+from+"&to="+to+"&api_key_id="+ka.ID+"&model=claude-opus-4-1", adminTok, nil)
		s := decode[admin.UsageSeries](t, b)
		var n int64
		for _, bk := range s.Buckets {
			n += bk.Requests
		}
		if n != 1 {
			t.Fatalf("requests %d, want 1: %s", n, b)
		}
	})
	t.Run("too many buckets names the field", func(t *testing.T) {
		r, b := g.do(ctx, "GET", "/admin/usage?granularity=minute&from=2000-01-01T00:00:00Z", adminTok, nil)
		if r.StatusCode != 422 || !strings.Contains(string(b), "query.from") {
			t.Fatalf("%d %s", r.StatusCode, b)
		}
	})
	t.Run("summary", func(t *testing.T) {
		_, b := g.do(ctx, "GET", "/admin/usage/summary?from="+from+"&to="+to, adminTok, nil)
		s := decode[admin.UsageSummary](t, b)
		if s.Totals.Requests != 12 || s.Totals.Errors != 1 || len(s.ByKey) != 2 || s.ByKey[0].Name != "alpha" || s.ByKey[0].Requests != 11 {
			t.Fatalf("summary %s", b)
		}
		if len(s.ByModel) != 2 || s.ByModel[0].Model != "claude-sonnet-4-5" || s.ByModel[1].TotalTokens != 1500 {
			t.Errorf("by model %+v", s.ByModel)
		}
	})
	t.Run("one key", func(t *testing.T) {
		r, b := g.do(ctx, "GET", "/admin/api-keys/"+kb.ID+"/usage?granularity=hour&from="+from+"&to="+to, adminTok, nil)
		u := decode[admin.KeyUsage](t, b)
		if r.StatusCode != 200 || u.Totals.Requests != 1 || u.Totals.TotalTokens != 1500 || len(u.ByModel) != 1 || len(u.Series.Buckets) != 3 {
			t.Fatalf("%d %s", r.StatusCode, b)
		}
		if r, _ := g.do(ctx, "GET", "/admin/api-keys/00000000-0000-0000-0000-000000000000/usage", adminTok, nil); r.StatusCode != 404 {
			t.Errorf("unknown key: %d", r.StatusCode)
		}
	})
	t.Run("request log", func(t *testing.T) {
		tests := []struct {
			query string
			total int
		}{
			{"", 12}, {"?api_key_id=" + kb.ID, 1}, {"?errors_only=true", 1}, {"?status=502", 1},
			{"?model=claude-opus-4-1", 2}, {"?from=" + now.Add(-90*time.Minute).Format(time.RFC3339), 2}, {"?limit=5&offset=10", 12},
		}
		for _, tt := range tests {
			r, b := g.do(ctx, "GET", "/admin/requests"+tt.query, adminTok, nil)
			l := decode[admin.RequestList](t, b)
			if r.StatusCode != 200 || l.Total != tt.total {
				t.Errorf("requests%s: %d total %d, want %d", tt.query, r.StatusCode, l.Total, tt.total)
			}
			if tt.query == "?limit=5&offset=10" && len(l.Items) != 2 {
				t.Errorf("page: %d items", len(l.Items))
			}
			if tt.query == "?errors_only=true" && (l.Items[0].Error == nil || *l.Items[0].Error == "") {
				t.Errorf("error event without error: %s", b)
			}
		}
	})
}

func TestOwnUsage(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, k := g.newKey(store.KeyActive, func(k *store.APIKey) {
		k.UsageLimit = store.UsageLimit{RequestsPerMinute: 100, RequestsPerDay: 50, TokensPerDay: 1000}
		k.CostUSDPerDay = 1
	})
	now := time.Now().UTC()
	err := g.st.InsertUsageEvents(context.Background(), []*store.UsageEvent{
		{APIKeyID: k.ID, Timestamp: now.Add(-time.Second), StatusCode: 200, TotalTokens: 300, CostUSD: 0.25},
		{APIKeyID: k.ID, Timestamp: now.Add(-time.Second), StatusCode: 200, TotalTokens: 900, CostUSD: 0.5},
		{APIKeyID: "someone-else", Timestamp: now, StatusCode: 200, TotalTokens: 5},
	})
	if err != nil {
		t.Fatal(err)
	}
	r, b := g.do(context.Background(), "GET", "/api/usage", key, nil)
	u := decode[tenant.OwnUsage](t, b)
	if r.StatusCode != 200 || u.Today.Requests != 2 || u.Today.TotalTokens != 1200 || u.Limits.RequestsPerDay != 50 {
		t.Fatalf("%d %s", r.StatusCode, b)
	}
	rem := u.Remaining
	if rem.RequestsPerDay == nil || *rem.RequestsPerDay != 48 || rem.TokensPerDay == nil || *rem.TokensPerDay != 0 ||
		rem.CostUSDPerDay == nil || *rem.CostUSDPerDay != 0.25 {
		t.Errorf("remaining %s", b)
	}
	if u.DayStart.Hour() != 0 || !strings.Contains(string(b), `"requests_per_minute":`) {
		t.Errorf("own usage %s", b)
	}
}

func TestEventsFeedAndOneEventPerRequest(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	adminTok := g.adminToken()
	key, k := g.newKey(store.KeyActive)
	req, _ := http.NewRequest("GET", g.srv.URL+"/admin/events?api_key_id="+k.ID, nil)
	req.Header.Set("Authorization", "Bearer "+adminTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	rd := bufio.NewReader(resp.Body)
	if line, _ := rd.ReadString('\n'); !strings.HasPrefix(line, ": connected") {
		t.Fatalf("first line %q", line)
	}

	g.fake.SetReply(func(*testkit.Request) testkit.Reply {
		return testkit.Reply{Text: "ok", Usage: testkit.Usage{InputTokens: 12, OutputTokens: 3, CacheReadInputTokens: 4}}
	})
	cr, body := g.do(context.Background(), "POST", "/api/chat", key, api.ChatRequest{Message: "count me"})
	if cr.StatusCode != 200 {
		t.Fatalf("chat: %d %s", cr.StatusCode, body)
	}
	g.do(context.Background(), "GET", "/api/models", key, nil)
	var got []admin.RequestEvent
	for len(got) < 2 {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("feed ended: %v", err)
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			var ev admin.RequestEvent
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				t.Fatal(err)
			}
			got = append(got, ev)
		}
	}
	chat := got[0]
	if chat.Endpoint != "/api/chat" || chat.RequestTokens != 16 || chat.ResponseTokens != 3 || chat.TotalTokens != 19 ||
		chat.CacheReadInputTokens != 4 || chat.StatusCode != 200 || chat.CostUSD <= 0 || chat.ConversationID == "" || chat.Error != nil {
		t.Errorf("chat event %+v", chat)
	}
	if got[1].Endpoint != "/api/models" || got[1].StatusCode != 200 {
		t.Errorf("models event %+v", got[1])
	}

	// The same events reach the store exactly once, through the batching writer.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, b := g.do(context.Background(), "GET", "/admin/requests?api_key_id="+k.ID, adminTok, nil)
		l := decode[admin.RequestList](t, b)
		if l.Total == 2 {
			if l.Items[1].TotalTokens != 19 || l.Items[1].RequestID != chat.RequestID {
				t.Errorf("stored chat event %+v", l.Items[1])
			}
			break
		}
		if l.Total > 2 || time.Now().After(deadline) {
			t.Fatalf("stored events: %s", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
