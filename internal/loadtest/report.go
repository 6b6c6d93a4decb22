package loadtest

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Percentiles of a latency distribution, in milliseconds.
type Percentiles struct {
	Count int64   `json:"count"`
	Min   float64 `json:"min_ms"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
	Mean  float64 `json:"mean_ms"`
}

// Report is the outcome of a run.
type Report struct {
	Transport  string         `json:"transport"`
	Mode       string         `json:"mode"`
	Clients    int            `json:"clients"`
	Keys       int            `json:"keys"`
	Elapsed    float64        `json:"elapsed_s"`
	OK         int            `json:"ok"`
	Failed     int            `json:"failed"`
	Setup      int            `json:"setup_turns"`
	Cut        int            `json:"cut_at_end"`
	Throughput float64        `json:"throughput_rps"`
	Latency    Percentiles    `json:"latency"`
	TTFT       Percentiles    `json:"ttft"`
	Errors     map[string]int `json:"errors"`
	// ErrorLatency is the latency of the failed measured requests, by code (setup
	// turns of continued mode are not measured).
	ErrorLatency map[string]Percentiles `json:"error_latency"`
	Memory       Memory                 `json:"memory"`
}

func (r *runner) report(elapsed time.Duration, mem Memory) *Report {
	lat, ttft, failed := newHist(), newHist(), map[string]*hdrhistogram.Histogram{}
	rep := &Report{Transport: r.cfg.Transport, Mode: r.cfg.Mode, Clients: r.cfg.Clients, Keys: len(r.cfg.Keys),
		Elapsed: elapsed.Seconds(), Errors: map[string]int{}, ErrorLatency: map[string]Percentiles{}, Memory: mem}
	for _, st := range r.stats {
		lat.Merge(st.latency)
		ttft.Merge(st.ttft)
		for code, h := range st.failed {
			if failed[code] == nil {
				failed[code] = newHist()
			}
			failed[code].Merge(h)
		}
		rep.OK += st.ok
		rep.Setup += st.setup
		rep.Cut += st.cut
		for k, n := range st.errors {
			rep.Errors[k] += n
			rep.Failed += n
		}
	}
	rep.Throughput = float64(rep.OK) / elapsed.Seconds()
	rep.Latency, rep.TTFT = percentiles(lat), percentiles(ttft)
	for code, h := range failed {
		rep.ErrorLatency[code] = percentiles(h)
	}
	return rep
}

func percentiles(h *hdrhistogram.Histogram) Percentiles {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	if h.TotalCount() == 0 {
		return Percentiles{}
	}
	return Percentiles{Count: h.TotalCount(), Min: ms(h.Min()), P50: ms(h.ValueAtQuantile(50)), P90: ms(h.ValueAtQuantile(90)),
		P99: ms(h.ValueAtQuantile(99)), Max: ms(h.Max()), Mean: h.Mean() / 1000}
}

// WriteText writes the report as Markdown tables (as docs/performance.md shows them).
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "%s, %s conversations, %d clients, %d keys: %.1f s, %d ok, %d failed, %d open at the end (canceled), %.1f req/s\n\n",
		r.Transport, r.Mode, r.Clients, r.Keys, r.Elapsed, r.OK, r.Failed, r.Cut, r.Throughput)
	fmt.Fprintln(w, "| ms | n | min | p50 | p90 | p99 | max | mean |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	row := func(name string, p Percentiles) {
		fmt.Fprintf(w, "| %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n", name, p.Count, p.Min, p.P50, p.P90, p.P99, p.Max, p.Mean)
	}
	row("latency", r.Latency)
	if r.TTFT.Count > 0 {
		row("first delta", r.TTFT)
	}
	codes := make([]string, 0, len(r.Errors))
	for k := range r.Errors {
		codes = append(codes, k)
	}
	sort.Strings(codes)
	for _, k := range codes {
		if p, ok := r.ErrorLatency[k]; ok {
			row(k, p)
		}
	}
	if len(codes) > 0 {
		fmt.Fprint(w, "\nerrors:")
		for _, k := range codes {
			fmt.Fprintf(w, " %s=%d", k, r.Errors[k])
		}
		fmt.Fprintln(w)
	}
	if m := r.Memory; m.SamplingEnabled {
		mb := func(b int64) float64 { return float64(b) / (1 << 20) }
		fmt.Fprintf(w, "\nRSS (MiB): gateway %.0f before, %.0f peak; CLIs %.0f peak (%d processes); total %.0f peak; "+
			"%d requests open at most, gateway %.0f then (%.2f MiB per open request)\n",
			mb(m.GatewayBefore), mb(m.GatewayPeak), mb(m.CLIPeak), m.CLIProcsPeak, mb(m.TotalPeak),
			m.OpenPeak, mb(m.GatewayAtOpen), float64(m.PerOpenRequest)/(1<<20))
	}
}
