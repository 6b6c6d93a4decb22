package api

import (
	"crypto/sha256"
	"encoding/binary"
)

// Cluster broadcast topics of the HTTP layer. A missed broadcast is caught up
// from the store: cached keys expire after the cache's 5 s, and a replayed
// signature is the one thing a missed message lets through.
const (
	topicKeys       = "keys"
	topicSignatures = "signatures"
)

// joinCluster makes key changes, accepted request signatures and the live request
// feed cluster-wide: a key changed on another node drops this node's key cache, a
// signature accepted on another node is refused here as a replay, and this node's
// finished requests reach the admins watching GET /admin/events on the others.
func (s *Server) joinCluster() {
	if s.Actors == nil || !s.Actors.Clustered() {
		return
	}
	// The admins of the other nodes see this node's requests (GET /admin/events).
	s.Actors.ShareEvents(s.Events)
	s.Actors.HandleBroadcast(topicKeys, func([]byte) { s.keys.Invalidate() })
	// A signature message is the signing secret's SHA-256 (the replay cache is
	// per secret), the signature and its stale-after second, big-endian.
	s.Actors.HandleBroadcast(topicSignatures, func(b []byte) {
		if len(b) != 2*sha256.Size+8 {
			return
		}
		var key, sig [sha256.Size]byte
		copy(key[:], b)
		copy(sig[:], b[sha256.Size:])
		s.signatures.Remember(key, sig, int64(binary.BigEndian.Uint64(b[2*sha256.Size:])))
	})
	s.signatures.OnAccept(func(key, sig [sha256.Size]byte, staleAt int64) {
		b := append(append(make([]byte, 0, 2*sha256.Size+8), key[:]...), sig[:]...)
		go s.broadcast(topicSignatures, binary.BigEndian.AppendUint64(b, uint64(staleAt)))
	})
}

// KeysChanged drops the cached keys here and on every other node, after an admin
// change of a key (create, update, suspend, rotate, delete).
func (s *Server) KeysChanged() {
	s.keys.Invalidate()
	if s.Actors != nil && s.Actors.Clustered() {
		s.broadcast(topicKeys, nil)
	}
}

func (s *Server) broadcast(topic string, payload []byte) {
	if err := s.Actors.Broadcast(topic, payload); err != nil {
		s.Log.Warn("cluster broadcast incomplete; the store fallback catches up", "topic", topic, "err", err)
	}
}
