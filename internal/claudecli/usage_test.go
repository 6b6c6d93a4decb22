package claudecli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

func TestTurnUsage(t *testing.T) {
	// The result line of an interrupted turn, as CLI 2.1.332 prints it (trimmed).
	interrupted := `{"type":"result","subtype":"error_during_execution","is_error":true,"terminal_reason":"aborted_streaming",` +
		`"total_cost_usd":0.000928,"usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0},` +
		`"modelUsage":{"claude-test-model":{"inputTokens":222,"outputTokens":2,"costUSD":0.000928}},` +
		`"model_usage_since_last_result":{"claude-test-model":{"inputTokens":111,"outputTokens":1,"cacheReadInputTokens":4,"cacheCreationInputTokens":3,"costUSD":0.000464}}}`
	m, _ := decodeLine([]byte(interrupted))
	u, cost := m.turnUsage(0.000464)
	if want := (Usage{InputTokens: 111, OutputTokens: 1, CacheReadInputTokens: 4, CacheCreationInputTokens: 3}); u != want || cost != 0.000464 {
		t.Errorf("interrupted: %+v $%v, want %+v $0.000464", u, cost, want)
	}
	var st turnState
	if e := (&Process{}).resultError(&m, &st, 0.000464); e.Class != ClassInterrupted || e.Usage != u || e.CostUSD != 0.000464 {
		t.Errorf("resultError = %+v", e)
	}
	// Without the per-turn map the cost is the growth of the cumulative total.
	m, _ = decodeLine([]byte(`{"type":"result","subtype":"success","total_cost_usd":0.3,"usage":{"input_tokens":5}}`))
	if u, cost := m.turnUsage(0.2); u.InputTokens != 5 || cost < 0.0999 || cost > 0.1001 {
		t.Errorf("fallback: %+v $%v", u, cost)
	}
}

// TestRealCLIUsage checks that a turn reports its own tokens and cost, on success
// and when it is cancelled or times out after the API answered in part.
func TestRealCLIUsage(t *testing.T) {
	api := testkit.NewFakeAPI(t)
	usage := testkit.Usage{InputTokens: 111, OutputTokens: 22}

	t.Run("cost is per turn, not per process", func(t *testing.T) {
		api.Reset()
		p := start(t, realConfig(t, api), newSpec(t))
		_, first := mustSucceed(t, p, "one")
		_, second := mustSucceed(t, p, "two")
		if first.CostUSD <= 0 || second.CostUSD != first.CostUSD || second.Usage != first.Usage {
			t.Errorf("first turn $%v %+v, second $%v %+v: want the same non-zero cost", first.CostUSD, first.Usage, second.CostUSD, second.Usage)
		}
	})

	t.Run("cancelled turn keeps usage and cost", func(t *testing.T) {
		api.SetReply(func(*testkit.Request) testkit.Reply {
			return testkit.Reply{Chunks: strings.Split(strings.Repeat("x ", 50), " "), ChunkDelay: 200 * time.Millisecond, Usage: usage}
		})
		defer api.SetReply(nil)
		p := start(t, realConfig(t, api), newSpec(t))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ch, err := p.Turn(ctx, "hi")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for ev := range ch {
			if _, ok := ev.(TextDelta); ok {
				if n++; n == 3 {
					break
				}
			}
		}
		cancel()
		_, _, e := collect(t, ch, 5*time.Second)
		if e == nil || e.Class != ClassInterrupted {
			t.Fatalf("error = %v, want interrupted", e)
		}
		// The CLI reports the input tokens of message_start; the output count
		// of message_delta never arrived.
		if e.Usage.InputTokens != 111 || e.Usage.OutputTokens < 1 || e.CostUSD <= 0 {
			t.Errorf("Usage %+v, CostUSD %v: want the input tokens and a cost", e.Usage, e.CostUSD)
		}
		waitGone(t, p.Pid(), 2*time.Second)
	})

	t.Run("timed-out turn keeps usage and cost", func(t *testing.T) {
		api.SetReply(func(r *testkit.Request) testkit.Reply {
			return testkit.Reply{Text: "a b c d e f", Stall: r.LastUserText() == "stall", Usage: usage}
		})
		defer api.SetReply(nil)
		cfg := realConfig(t, api)
		p := start(t, cfg, newSpec(t))
		_, warm := mustSucceed(t, p, "warm up")
		p.cfg.Watchdog = 2 * time.Second // short only for the turn under test (no turn runs now)
		_, _, e := turn(t, p, "stall", 15*time.Second)
		if e == nil || e.Class != ClassTimeout {
			t.Fatalf("error = %v, want timeout", e)
		}
		if e.Usage.InputTokens != 111 || e.CostUSD <= 0 || e.CostUSD >= warm.CostUSD {
			t.Errorf("Usage %+v, CostUSD %v (warm-up turn $%v): want this turn's input tokens and cost", e.Usage, e.CostUSD, warm.CostUSD)
		}
	})
}
