package cluster

import (
	"fmt"
	"net"
	"strconv"
)

// Config is the node's cluster configuration.
type Config struct {
	// Name is the cluster's name; nodes only join a cluster of the same name.
	Name string
	// Bind is host:port of the actor system's remote endpoint; port 0 picks a free one.
	Bind string
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.Name == "" {
		return fmt.Errorf("cluster: name is empty")
	}
	if _, _, err := c.HostPort(); err != nil {
		return err
	}
	return nil
}

// HostPort splits Bind.
func (c Config) HostPort() (string, int, error) {
	host, p, err := net.SplitHostPort(c.Bind)
	if err != nil {
		return "", 0, fmt.Errorf("cluster: bind %q: %w", c.Bind, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("cluster: bind %q: bad port", c.Bind)
	}
	return host, port, nil
}
