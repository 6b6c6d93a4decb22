package loadtest

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Transports a client may use.
const (
	REST      = "rest" // POST /api/chat, JSON reply
	SSE       = "sse"  // POST /api/chat with stream:true
	WebSocket = "ws"   // GET /api/ws, one socket per client
)

// Conversation modes.
const (
	New       = "new"       // every request starts a conversation
	Continued = "continued" // each client continues its own conversation
)

// Config is one load run.
type Config struct {
	URL         string   // the gateway's base URL, e.g. http://127.0.0.1:8080
	Keys        []string // API keys; client i uses Keys[i % len(Keys)]
	Clients     int      // concurrent clients (connections)
	Transport   string   // rest, sse or ws
	Mode        string   // new or continued
	Duration    time.Duration
	Requests    int     // total measured requests; the run ends at whichever of Duration or Requests comes first
	Rate        float64 // requests per second over all clients; 0 = as fast as answered
	Message     string
	Model       string
	MaxTokens   int
	Timeout     time.Duration // per request
	GatewayPID  int           // for RSS sampling; 0 = none
	SampleEvery time.Duration // RSS sampling interval
}

// Validate checks the run's settings.
func (c *Config) Validate() error {
	var errs []error
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("url: want http(s)://host:port, got %q", c.URL))
	}
	if len(c.Keys) == 0 {
		errs = append(errs, errors.New("keys: at least one API key"))
	}
	if c.Clients < 1 {
		errs = append(errs, fmt.Errorf("clients: at least 1, got %d", c.Clients))
	}
	if c.Transport != REST && c.Transport != SSE && c.Transport != WebSocket {
		errs = append(errs, fmt.Errorf("transport: rest, sse or ws, got %q", c.Transport))
	}
	if c.Mode != New && c.Mode != Continued {
		errs = append(errs, fmt.Errorf("mode: new or continued, got %q", c.Mode))
	}
	if c.Duration <= 0 && c.Requests <= 0 {
		errs = append(errs, errors.New("duration or requests: one must be positive"))
	}
	if c.Rate < 0 {
		errs = append(errs, errors.New("rate: must not be negative"))
	}
	if c.Message == "" {
		errs = append(errs, errors.New("message: must not be empty"))
	}
	if c.Timeout <= 0 {
		errs = append(errs, errors.New("timeout: must be positive"))
	}
	return errors.Join(errs...)
}
