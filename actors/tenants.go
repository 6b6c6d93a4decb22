package actors

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ccgateway/ccgateway/actors/conversation"
	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/internal/store"
)

// keyTurns counts each key's turns in flight per conversation, and the keys being
// deleted, which start no more turns. System.mu guards it.
type keyTurns struct {
	turns    map[string]map[string]int // key id -> conversation id -> turns
	deleting map[string]int            // key id -> DeleteTenant calls running
}

// track counts a turn of keyID on convID, unless the key is being deleted.
func (s *System) track(keyID, convID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tn.deleting[keyID] > 0 {
		return fmt.Errorf("actors: key %s is being deleted: %w", keyID, store.ErrNotFound)
	}
	if s.tn.turns[keyID] == nil {
		s.tn.turns[keyID] = map[string]int{}
	}
	s.tn.turns[keyID][convID]++
	return nil
}

func (s *System) untrack(keyID, convID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.tn.turns[keyID]
	if c[convID]--; c[convID] <= 0 {
		delete(c, convID)
	}
	if len(c) == 0 {
		delete(s.tn.turns, keyID)
	}
}

// DeleteTenant deletes an API key with everything it left on this node: the key's
// row (the store deletes its conversations with it), its conversations' grains,
// turns and CLI processes, and its directory data/tenants/<key id> (CLI config,
// session files, workspace). The directory goes last, once the row is gone and no
// turn of the key runs, so that nothing recreates it. Only the row's deletion can
// fail the call (an unknown key gives store.ErrNotFound); what the cleanup leaves
// is logged.
func (s *System) DeleteTenant(ctx context.Context, keyID string) error {
	base, err := s.cli.tenantBase(keyID)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.tn.deleting[keyID]++
	convs := map[string]bool{}
	for id := range s.tn.turns[keyID] {
		convs[id] = true
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.tn.deleting[keyID]--; s.tn.deleting[keyID] <= 0 {
			delete(s.tn.deleting, keyID)
		}
		s.mu.Unlock()
	}()
	for _, sl := range s.sched.Snapshot().Slots {
		if sl.Key == keyID {
			convs[sl.ID] = true
		}
	}
	// The row goes first: a turn that slips in meanwhile finds no conversation.
	if err := s.st.DeleteAPIKey(ctx, keyID); err != nil {
		return fmt.Errorf("actors: delete key %s: %w", keyID, err)
	}
	var errs []error
	for id := range convs {
		errs = append(errs, s.stopConversation(keyID, id))
	}
	if err := s.awaitTurns(ctx, keyID); err != nil {
		s.log.Warn("delete key: turns still running; removing its directory anyway", "key", keyID, "err", err)
	}
	if err := os.RemoveAll(base); err != nil {
		errs = append(errs, fmt.Errorf("actors: remove tenant dir: %w", err))
	}
	// The key is gone: what is left behind is logged, and the sweeper removes a
	// directory left over (every SweepInterval, and at the next start).
	if err := errors.Join(errs...); err != nil {
		s.log.Warn("delete key: cleanup incomplete", "key", keyID, "err", err)
	}
	return nil
}

// stopConversation stops a conversation's grain: its turns fail, its process ends.
func (s *System) stopConversation(keyID, id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.TurnTimeout+requestTimeout)
	defer cancel()
	if _, err := ask[*messages.StopConversationAck](ctx, s, id, conversation.Kind, &messages.StopConversation{ApiKeyId: keyID}); err != nil {
		return fmt.Errorf("actors: stop conversation %s: %w", id, err)
	}
	return nil
}

// awaitTurns waits until no turn of keyID is in flight (bounded by ctx and a
// request timeout: stopped grains end their turns at once).
func (s *System) awaitTurns(ctx context.Context, keyID string) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		s.mu.Lock()
		n := len(s.tn.turns[keyID])
		s.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// sweepTenantDirs removes the directories of keys that no longer exist (deleted
// while this node was down, or by another node).
func (s *System) sweepTenantDirs(ctx context.Context) {
	entries, err := os.ReadDir(s.cli.dirs.Tenants())
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("sweeper: list tenant dirs", "err", err)
		}
		return
	}
	live := map[string]bool{}
	for _, sl := range s.sched.Snapshot().Slots {
		live[sl.Key] = true
	}
	for _, e := range entries {
		keyID := e.Name()
		s.mu.Lock()
		busy := live[keyID] || len(s.tn.turns[keyID]) > 0 || s.tn.deleting[keyID] > 0
		s.mu.Unlock()
		if busy || !e.IsDir() {
			continue
		}
		if _, err := s.st.GetAPIKey(ctx, keyID); !errors.Is(err, store.ErrNotFound) {
			continue
		}
		base, err := s.cli.tenantBase(keyID)
		if err == nil {
			err = os.RemoveAll(base)
		}
		if err != nil {
			s.log.Warn("sweeper: remove tenant dir", "key", keyID, "err", err)
			continue
		}
		s.log.Info("sweeper removed the directory of a deleted key", "key", keyID)
	}
}

// tenantBase is the directory of a key's CLI state, data/tenants/<key id>.
func (l *launcher) tenantBase(keyID string) (string, error) {
	d, err := l.dirs.Tenant(keyID)
	return d.Base, err
}
