package cluster

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// Message is one broadcast as its handler receives it.
type Message struct {
	Topic   string
	From    string // the sender's member id
	Payload []byte
}

// topicLeaving announces a graceful leave just before memberlist's own, so that
// the others tell it from a death (and leave the node's leases to it).
const topicLeaving = "cluster.leaving"

// topicDeclaredDead tells a member that came back after this node declared it
// dead that its member id is gone for good (protoactor never takes one back): it
// has to start again under a new one. memberlist lets a live member refute its
// own death, and when it refutes the suspicion before the death reaches it, it
// never hears of the death from memberlist itself.
const topicDeclaredDead = "cluster.declared-dead"

// msgVersion leads every user message, so a later format can be told apart.
const msgVersion = 1

// encodeMessage frames a broadcast: version, topic length, topic, sender length,
// sender, payload.
func encodeMessage(topic, from string, payload []byte) ([]byte, error) {
	if len(topic) == 0 || len(topic) > 255 || len(from) > 255 {
		return nil, fmt.Errorf("cluster: broadcast topic %q or sender too long or empty", topic)
	}
	b := make([]byte, 0, 3+len(topic)+len(from)+len(payload))
	b = append(b, msgVersion, byte(len(topic)))
	b = append(b, topic...)
	b = append(b, byte(len(from)))
	b = append(b, from...)
	return append(b, payload...), nil
}

func decodeMessage(b []byte) (Message, error) {
	bad := errors.New("cluster: malformed broadcast")
	if len(b) < 2 || b[0] != msgVersion {
		return Message{}, bad
	}
	tl := int(b[1])
	if len(b) < 2+tl+1 {
		return Message{}, bad
	}
	topic := string(b[2 : 2+tl])
	rest := b[2+tl:]
	fl := int(rest[0])
	if len(rest) < 1+fl {
		return Message{}, bad
	}
	return Message{Topic: topic, From: string(rest[1 : 1+fl]), Payload: append([]byte(nil), rest[1+fl:]...)}, nil
}

// Handle registers fn for broadcasts of topic (one handler per topic; a later call
// replaces it). Handlers run one at a time, in arrival order, off memberlist's
// goroutines.
func (p *Provider) Handle(topic string, fn func(Message)) {
	p.mu.Lock()
	p.handlers[topic] = fn
	p.mu.Unlock()
}

// Broadcast sends payload under topic to every other live member over memberlist's
// reliable stream (TCP), to all of them at once, and returns when each has taken
// it or failed. A member that misses it (down, partitioned) catches up from the
// store: every broadcast has a store fallback in its receiver. On loopback a
// broadcast reaches two peers in well under a millisecond.
func (p *Provider) Broadcast(topic string, payload []byte) error {
	p.mu.Lock()
	ml, self := p.ml, p.self.ID
	p.mu.Unlock()
	if ml == nil {
		return errors.New("cluster: not started")
	}
	msg, err := encodeMessage(topic, self, payload)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, n := range ml.Members() {
		if n.Name == self {
			continue
		}
		wg.Add(1)
		go func(n *memberlist.Node) {
			defer wg.Done()
			if err := ml.SendReliable(n, msg); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("cluster: broadcast %s to %s: %w", topic, n.Name, err))
				mu.Unlock()
			}
		}(n)
	}
	wg.Wait()
	return errors.Join(errs...)
}

// dispatch runs the handlers of received broadcasts in order.
func (p *Provider) dispatch() {
	defer p.wg.Done()
	for {
		select {
		case <-p.stop:
			return
		case m := <-p.inbox:
			p.mu.Lock()
			fn := p.handlers[m.Topic]
			p.mu.Unlock()
			if fn != nil {
				fn(m)
			}
		}
	}
}

// delegate is the Provider as memberlist's Delegate and EventDelegate; its methods
// are called from memberlist's goroutines, some with its locks held.
type delegate Provider

var (
	_ memberlist.Delegate      = (*delegate)(nil)
	_ memberlist.EventDelegate = (*delegate)(nil)
)

func (d *delegate) NodeMeta(limit int) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.meta) > limit {
		return nil // checked at start; never truncated into invalid JSON
	}
	return d.meta
}

func (d *delegate) NotifyMsg(b []byte) {
	m, err := decodeMessage(b)
	if err != nil {
		d.log.Warn("cluster: dropped a broadcast", "err", err)
		return
	}
	if m.Topic == topicDeclaredDead {
		(*Provider)(d).declaredDead()
		return
	}
	if m.Topic == topicLeaving {
		d.mu.Lock()
		d.leaving[m.From] = time.Now()
		for id, at := range d.leaving {
			if time.Since(at) > time.Minute {
				delete(d.leaving, id)
			}
		}
		d.mu.Unlock()
		return
	}
	select {
	case d.inbox <- m:
	default:
		d.log.Warn("cluster: broadcast inbox full; dropped one (the store fallback catches up)", "topic", m.Topic)
	}
}

func (d *delegate) GetBroadcasts(int, int) [][]byte { return nil }
func (d *delegate) LocalState(bool) []byte          { return nil }
func (d *delegate) MergeRemoteState([]byte, bool)   {}

func (d *delegate) NotifyJoin(n *memberlist.Node) {
	if n.Name != d.self.ID {
		(*Provider)(d).enqueue(MemberJoined, n)
	}
}

func (d *delegate) NotifyUpdate(n *memberlist.Node) {
	if n.Name != d.self.ID {
		(*Provider)(d).enqueue(MemberUpdated, n)
	}
}

func (d *delegate) NotifyLeave(n *memberlist.Node) {
	if n.Name == d.self.ID {
		return
	}
	// memberlist's Node.State is not updated on a leave (its own state record
	// shadows it), so a graceful leave is told apart by the leaving broadcast that
	// precedes it.
	d.mu.Lock()
	_, leaving := d.leaving[n.Name]
	d.mu.Unlock()
	t := MemberDead
	if leaving {
		t = MemberLeft
	}
	(*Provider)(d).enqueue(t, n)
}
