package loadtest

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Run drives the gateway as cfg says and returns what the clients saw.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.SampleEvery <= 0 {
		cfg.SampleEvery = 500 * time.Millisecond
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	transport := &http.Transport{MaxIdleConnsPerHost: cfg.Clients, MaxConnsPerHost: 0, IdleConnTimeout: time.Minute}
	defer transport.CloseIdleConnections()
	hc := &http.Client{Transport: transport}

	r := &runner{cfg: &cfg, stats: make([]*clientStats, cfg.Clients)}
	sampler := newSampler(cfg.GatewayPID, cfg.SampleEvery, &r.inflight)
	sampler.start()
	clients := make([]*client, cfg.Clients)
	for i := range clients {
		clients[i] = &client{cfg: &cfg, key: cfg.Keys[i%len(cfg.Keys)], http: hc}
		r.stats[i] = newClientStats()
		defer clients[i].close()
	}
	// Continued mode: every client first creates its conversation (unmeasured, all
	// at once); the clock starts when all are ready.
	convs := make([]string, cfg.Clients)
	if cfg.Mode == Continued {
		r.parallel(func(i int) { convs[i] = r.setup(ctx, clients[i], r.stats[i]) })
	}

	runCtx := ctx
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	r.start = time.Now()
	r.parallel(func(i int) {
		if cfg.Mode == Continued && convs[i] == "" {
			return // its setup failed (counted as setup_<code>)
		}
		r.loop(runCtx, ctx, clients[i], r.stats[i], convs[i])
	})
	elapsed := time.Since(r.start)
	mem := sampler.stop()
	return r.report(elapsed, mem), nil
}

// parallel runs f(i) for every client at once and waits for all.
func (r *runner) parallel(f func(i int)) {
	var wg sync.WaitGroup
	for i := range r.stats {
		wg.Add(1)
		go func() { defer wg.Done(); f(i) }()
	}
	wg.Wait()
}

// setup creates a client's conversation, trying up to three times; "" when it
// could not.
func (r *runner) setup(ctx context.Context, c *client, st *clientStats) string {
	for range 3 {
		o := r.do(ctx, c, "")
		if o.code == "" && o.conv != "" {
			st.setup++
			return o.conv
		}
		st.errors["setup_"+o.code]++
		if !sleepCtx(ctx, 100*time.Millisecond) {
			break
		}
	}
	return ""
}

type runner struct {
	cfg      *Config
	start    time.Time
	issued   atomic.Int64 // measured requests claimed
	inflight atomic.Int64 // requests open right now
	stats    []*clientStats
}

type clientStats struct {
	latency *hdrhistogram.Histogram // µs
	ttft    *hdrhistogram.Histogram // µs
	ok      int
	errors  map[string]int
	// failed holds the latency of failed requests by code (µs): how long a client
	// waited for its refusal matters in a burst as much as the refusal itself.
	failed map[string]*hdrhistogram.Histogram
	cut    int // requests still open when the run's duration ended, canceled uncounted
	setup  int // unmeasured turns that created a continued conversation
}

func newClientStats() *clientStats {
	return &clientStats{latency: newHist(), ttft: newHist(), errors: map[string]int{}, failed: map[string]*hdrhistogram.Histogram{}}
}

// newHist records 1 µs .. 10 min with 3 significant digits.
func newHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, int64(10*time.Minute/time.Microsecond), 3)
}

// loop issues requests until the run ends: runCtx ends the issuing (and, in a
// timed run, the requests in flight); ctx is the caller's.
func (r *runner) loop(runCtx, ctx context.Context, c *client, st *clientStats, conv string) {
	// A timed run cancels the requests still open when it ends (streams held open
	// on a slow upstream would otherwise outlast it by far); they count as cut.
	reqCtx := ctx
	if r.cfg.Duration > 0 {
		reqCtx = runCtx
	}
	for runCtx.Err() == nil {
		n := r.issued.Add(1)
		if r.cfg.Requests > 0 && n > int64(r.cfg.Requests) {
			return
		}
		if r.cfg.Rate > 0 {
			at := r.start.Add(time.Duration(float64(n-1) / r.cfg.Rate * float64(time.Second)))
			if !sleepCtx(runCtx, time.Until(at)) {
				return
			}
		}
		o := r.do(reqCtx, c, conv)
		if canceledAtEnd(o.code) && runCtx.Err() != nil && ctx.Err() == nil {
			st.cut++
			continue
		}
		if o.code != "" {
			st.errors[o.code]++
			h := st.failed[o.code]
			if h == nil {
				h = newHist()
				st.failed[o.code] = h
			}
			_ = h.RecordValue(max(o.latency.Microseconds(), 1))
			continue
		}
		st.ok++
		_ = st.latency.RecordValue(max(o.latency.Microseconds(), 1))
		if o.ttft > 0 {
			_ = st.ttft.RecordValue(max(o.ttft.Microseconds(), 1))
		}
	}
}

func (r *runner) do(ctx context.Context, c *client, conv string) outcome {
	r.inflight.Add(1)
	defer r.inflight.Add(-1)
	return c.turn(ctx, conv)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// canceledAtEnd reports whether a failure code is what canceling a request in
// flight produces.
func canceledAtEnd(code string) bool {
	return code == "client_timeout" || code == "transport_error" || code == "stream_cut"
}
