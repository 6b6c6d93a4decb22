package cluster

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Config is the node's cluster configuration. With Gossip empty the node is a
// cluster of one (SingleNode); with Gossip set it joins a memberlist cluster
// (Provider).
type Config struct {
	// Name is the cluster's name; nodes only join a cluster of the same name (it is
	// memberlist's packet label, so gossip of another cluster is dropped).
	Name string
	// Bind is host:port of the actor system's remote endpoint; port 0 picks a free one.
	Bind string
	// Gossip is host:port the node gossips on (memberlist, UDP and TCP); empty runs a
	// single node.
	Gossip string
	// Join lists host:port of nodes to join; tried with backoff until one answers.
	Join []string
	// Advertise is the host (or host:port, the port being the gossip port) other
	// nodes reach this node at, when it differs from the bound address (NAT,
	// containers). Its host is advertised for the actor endpoint too.
	Advertise string
	// Secret, when set, encrypts gossip (memberlist's AES-GCM keyring, keyed by the
	// secret's SHA-256); every node needs the same one.
	Secret string
	// Failure tunes failure detection; zero fields take DefaultFailure's values.
	Failure FailureDetection
	// JoinBackoffMax caps the wait between join attempts; default 5s.
	JoinBackoffMax time.Duration
}

// FailureDetection is memberlist's SWIM timing. A crashed member is declared dead
// after about ProbeInterval (until it misses a probe) plus the suspicion timeout,
// SuspicionMult × max(1, log10(N)) × ProbeInterval.
type FailureDetection struct {
	ProbeInterval  time.Duration
	ProbeTimeout   time.Duration
	SuspicionMult  int
	GossipInterval time.Duration
}

// DefaultFailure is the failure detection used unless configured. Measured on
// loopback with three nodes (docs/cluster.md): a kill -9 is seen as dead by the
// others in about 2 s, against 4.8–6 s with memberlist's own LAN and Local
// profiles. A more eager setting (300 ms / 150 ms / 2: 1.3 s) falsely declared a
// starved node dead on a 2-core host under a load average of 35, and a node
// declared dead stays out of protoactor's topology until it restarts, so the
// suspicion timeout keeps a margin (4 probe intervals).
var DefaultFailure = FailureDetection{
	ProbeInterval:  400 * time.Millisecond,
	ProbeTimeout:   200 * time.Millisecond,
	SuspicionMult:  4,
	GossipInterval: 50 * time.Millisecond,
}

func (f FailureDetection) withDefaults() FailureDetection {
	if f.ProbeInterval == 0 {
		f.ProbeInterval = DefaultFailure.ProbeInterval
	}
	if f.ProbeTimeout == 0 {
		f.ProbeTimeout = DefaultFailure.ProbeTimeout
	}
	if f.SuspicionMult == 0 {
		f.SuspicionMult = DefaultFailure.SuspicionMult
	}
	if f.GossipInterval == 0 {
		f.GossipInterval = DefaultFailure.GossipInterval
	}
	return f
}

// Clustered reports whether the node gossips with others (else it runs alone).
func (c Config) Clustered() bool { return c.Gossip != "" }

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("cluster: name is empty"))
	}
	if _, _, err := c.HostPort(); err != nil {
		errs = append(errs, err)
	}
	if c.Gossip != "" {
		if _, _, err := splitPort(c.Gossip); err != nil {
			errs = append(errs, fmt.Errorf("cluster: gossip: %w", err))
		}
	}
	for _, j := range c.Join {
		if _, _, err := splitPort(j); err != nil {
			errs = append(errs, fmt.Errorf("cluster: join %q: %w", j, err))
		}
	}
	if c.Gossip == "" && (len(c.Join) > 0 || c.Advertise != "" || c.Secret != "") {
		errs = append(errs, errors.New("cluster: join, advertise and secret need a gossip address"))
	}
	if c.Advertise != "" {
		if _, _, err := c.advertise(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Secret != "" && len(c.Secret) < 16 {
		errs = append(errs, errors.New("cluster: secret must be at least 16 characters"))
	}
	f := c.Failure.withDefaults()
	if f.ProbeInterval <= 0 || f.ProbeTimeout <= 0 || f.ProbeTimeout >= f.ProbeInterval || f.SuspicionMult < 1 || f.GossipInterval <= 0 {
		errs = append(errs, errors.New("cluster: failure detection needs 0 < probe timeout < probe interval and a suspicion multiplier >= 1"))
	}
	if c.JoinBackoffMax < 0 {
		errs = append(errs, errors.New("cluster: join backoff must not be negative"))
	}
	return errors.Join(errs...)
}

// HostPort splits Bind.
func (c Config) HostPort() (string, int, error) {
	host, port, err := splitPort(c.Bind)
	if err != nil {
		return "", 0, fmt.Errorf("cluster: bind %q: %w", c.Bind, err)
	}
	return host, port, nil
}

// AdvertiseHost is the host of Advertise, or "" when none is set.
func (c Config) AdvertiseHost() string {
	h, _, err := c.advertise()
	if err != nil || c.Advertise == "" {
		return ""
	}
	return h
}

// advertise splits Advertise into a host and a gossip port (0 when not given).
func (c Config) advertise() (string, int, error) {
	if !strings.Contains(c.Advertise, ":") || strings.HasSuffix(c.Advertise, "]") {
		return strings.Trim(c.Advertise, "[]"), 0, nil
	}
	host, port, err := splitPort(c.Advertise)
	if err != nil {
		return "", 0, fmt.Errorf("cluster: advertise %q: %w", c.Advertise, err)
	}
	return host, port, nil
}

func splitPort(hp string) (string, int, error) {
	host, p, err := net.SplitHostPort(hp)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, errors.New("bad port")
	}
	return host, port, nil
}
