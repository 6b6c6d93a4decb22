package cluster

import (
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/hashicorp/memberlist"
)

// Meta is what a node tells the others about itself in memberlist's node
// metadata, which memberlist limits to 512 bytes: short JSON keys keep it well
// under (about 200 bytes for a typical node).
type Meta struct {
	ID       string    `json:"i"` // the actor system id, also the memberlist node name
	Host     string    `json:"h"` // the actor remote endpoint
	Port     int       `json:"p"`
	Kinds    []string  `json:"k,omitempty"`
	Node     string    `json:"n,omitempty"` // the operator's node name
	HTTP     string    `json:"u,omitempty"` // the node's HTTP address
	Version  string    `json:"v,omitempty"`
	JoinedAt time.Time `json:"j"`
}

// Address is the actor endpoint, host:port.
func (m Meta) Address() string { return net.JoinHostPort(m.Host, strconv.Itoa(m.Port)) }

func (m Meta) encode() ([]byte, error) {
	m.JoinedAt = m.JoinedAt.UTC().Truncate(time.Millisecond)
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("cluster: metadata: %w", err)
	}
	if len(b) > memberlist.MetaMaxSize {
		return nil, fmt.Errorf("cluster: metadata is %d bytes, memberlist allows %d: shorten the node name or HTTP address", len(b), memberlist.MetaMaxSize)
	}
	return b, nil
}

func decodeMeta(b []byte) (Meta, error) {
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return Meta{}, fmt.Errorf("cluster: metadata: %w", err)
	}
	if m.ID == "" || m.Host == "" || m.Port <= 0 {
		return Meta{}, fmt.Errorf("cluster: metadata lacks the actor endpoint")
	}
	return m, nil
}
