package loadtest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccgateway/ccgateway/internal/procstat"
)

// Memory is what the sampler saw of the gateway process and its descendants (the
// CLI processes). Sizes are bytes.
type Memory struct {
	Samples         int   `json:"samples"`
	GatewayBefore   int64 `json:"gateway_rss_before"`
	GatewayPeak     int64 `json:"gateway_rss_peak"`
	CLIPeak         int64 `json:"cli_rss_peak"`
	CLIProcsPeak    int   `json:"cli_processes_peak"`
	OpenPeak        int64 `json:"open_requests_peak"`
	GatewayAtOpen   int64 `json:"gateway_rss_at_open_peak"`
	PerOpenRequest  int64 `json:"gateway_rss_per_open_request"`
	TotalPeak       int64 `json:"total_rss_peak"`
	SamplingEnabled bool  `json:"sampling_enabled"`
}

type sampler struct {
	pid      int
	every    time.Duration
	inflight *atomic.Int64
	stopCh   chan struct{}
	wg       sync.WaitGroup
	mem      Memory
}

func newSampler(pid int, every time.Duration, inflight *atomic.Int64) *sampler {
	return &sampler{pid: pid, every: every, inflight: inflight, stopCh: make(chan struct{})}
}

func (s *sampler) start() {
	if s.pid <= 0 {
		return
	}
	s.mem.SamplingEnabled = true
	s.mem.GatewayBefore = procstat.RSS(s.pid)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(s.every)
		defer t.Stop()
		for {
			select {
			case <-s.stopCh:
				return
			case <-t.C:
				s.sample()
			}
		}
	}()
}

func (s *sampler) sample() {
	open := s.inflight.Load()
	gw := procstat.RSS(s.pid)
	var cli int64
	kids := Descendants(s.pid)
	for _, k := range kids {
		cli += procstat.RSS(k)
	}
	m := &s.mem
	m.Samples++
	m.GatewayPeak = max(m.GatewayPeak, gw)
	m.CLIPeak = max(m.CLIPeak, cli)
	m.CLIProcsPeak = max(m.CLIProcsPeak, len(kids))
	m.TotalPeak = max(m.TotalPeak, gw+cli)
	if open >= m.OpenPeak && open > 0 {
		m.OpenPeak, m.GatewayAtOpen = open, gw
	}
}

func (s *sampler) stop() Memory {
	close(s.stopCh)
	s.wg.Wait()
	m := s.mem
	if m.OpenPeak > 0 && m.GatewayAtOpen > m.GatewayBefore {
		m.PerOpenRequest = (m.GatewayAtOpen - m.GatewayBefore) / m.OpenPeak
	}
	return m
}

// Descendants lists the pids below pid in the process tree (from /proc/*/stat).
func Descendants(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	children := map[int][]int{}
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		me, _ := strconv.Atoi(strings.Fields(s)[0])
		pp, _ := strconv.Atoi(f[1])
		children[pp] = append(children[pp], me)
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, k := range children[p] {
			out = append(out, k)
			queue = append(queue, k)
		}
	}
	return out
}
