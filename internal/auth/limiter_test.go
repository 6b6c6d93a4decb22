package auth

import (
	"net/netip"
	"sync"
	"testing"
	"time"
)

func TestFailureLimiter(t *testing.T) {
	clock := newTestClock()
	l := NewFailureLimiter(LimiterConfig{Burst: 10, Per: time.Minute}, WithClock(clock.Now))
	ip := netip.MustParseAddr("203.0.113.9")
	other := netip.MustParseAddr("203.0.113.10")

	t.Run("unknown address allowed", func(t *testing.T) {
		if ok, _ := l.Allow(ip); !ok {
			t.Fatal("refused")
		}
	})
	t.Run("ten failures allowed, then blocked", func(t *testing.T) {
		for i := range 10 {
			if ok, _ := l.Allow(ip); !ok {
				t.Fatalf("refused after %d failures", i)
			}
			l.Fail(ip)
		}
		ok, retry := l.Allow(ip)
		if ok || retry <= 0 || retry > 6*time.Second {
			t.Fatalf("ok=%v retry=%v, want blocked for at most 6s", ok, retry)
		}
	})
	t.Run("other address unaffected", func(t *testing.T) {
		if ok, _ := l.Allow(other); !ok {
			t.Fatal("refused")
		}
	})
	t.Run("one attempt back after a token refills", func(t *testing.T) {
		clock.Advance(6 * time.Second)
		if ok, _ := l.Allow(ip); !ok {
			t.Fatal("still refused")
		}
		l.Fail(ip)
		if ok, _ := l.Allow(ip); ok {
			t.Fatal("allowed a second attempt")
		}
	})
	t.Run("ipv6 limited per /64", func(t *testing.T) {
		for range 10 {
			l.Fail(netip.MustParseAddr("2001:db8:1:2::1"))
		}
		if ok, _ := l.Allow(netip.MustParseAddr("2001:db8:1:2:ffff::9")); ok {
			t.Fatal("same /64 allowed")
		}
		if ok, _ := l.Allow(netip.MustParseAddr("2001:db8:1:3::1")); !ok {
			t.Fatal("other /64 refused")
		}
	})
}

func TestFailureLimiterBounded(t *testing.T) {
	clock := newTestClock()
	l := NewFailureLimiter(LimiterConfig{MaxEntries: limiterShards * 4}, WithClock(clock.Now))
	for i := range 10_000 {
		l.Fail(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
	}
	total := 0
	for i := range l.shards {
		total += len(l.shards[i].buckets)
	}
	if total > limiterShards*4 {
		t.Fatalf("%d entries, bound is %d", total, limiterShards*4)
	}
}

func TestFailureLimiterConcurrent(t *testing.T) {
	l := NewFailureLimiter(LimiterConfig{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				ip := netip.AddrFrom4([4]byte{192, 0, byte(g), byte(i)})
				l.Allow(ip)
				l.Fail(ip)
			}
		}()
	}
	wg.Wait()
}

func BenchmarkFailureLimiterAllow(b *testing.B) {
	l := NewFailureLimiter(LimiterConfig{})
	for i := range 1000 {
		l.Fail(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}))
	}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Allow(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}))
			i = (i + 1) % 2000
		}
	})
}

func BenchmarkFailureLimiterFail(b *testing.B) {
	l := NewFailureLimiter(LimiterConfig{MaxEntries: 10_000})
	b.RunParallel(func(pb *testing.PB) {
		i := uint32(0)
		for pb.Next() {
			l.Fail(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
			i++
		}
	})
}

// TestFailureLimiterReserveUnderConcurrency replays the review's attack on the
// admin login: 60 concurrent wrong passwords. With Allow before the check and Fail
// after it, every one of them reached the check; Reserve lets exactly the budget
// through, and successful checks give their attempt back.
func TestFailureLimiterReserveUnderConcurrency(t *testing.T) {
	clock := newTestClock()
	l := NewFailureLimiter(LimiterConfig{Burst: 10, Per: time.Minute}, WithClock(clock.Now))
	ip := netip.MustParseAddr("198.51.100.7")
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		checked int
		start   = make(chan struct{})
	)
	for range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, ok, retry := l.Reserve(ip); ok {
				mu.Lock()
				checked++ // the password check runs here; it fails, the attempt stays spent
				mu.Unlock()
			} else if retry <= 0 {
				t.Error("refused without a Retry-After")
			}
		}()
	}
	close(start)
	wg.Wait()
	if checked != 10 {
		t.Fatalf("%d of 60 concurrent attempts reached the check, want the burst of 10", checked)
	}

	// A successful check costs nothing.
	other := netip.MustParseAddr("198.51.100.8")
	for i := range 50 {
		r, ok, _ := l.Reserve(other)
		if !ok {
			t.Fatalf("success %d refused", i)
		}
		r.Succeeded()
	}
	if ok, _ := l.Allow(other); !ok {
		t.Fatal("successful attempts spent the budget")
	}
	var zero Reservation
	zero.Succeeded() // a no-op
}
