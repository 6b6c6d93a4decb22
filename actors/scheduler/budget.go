package scheduler

import "sort"

// TrimToBudget keeps the total resident memory of the node's CLI processes within
// budget bytes by taking the slots of idle ones: prewarmed spares first, then idle
// conversation processes, least recently used first (they resume on their next
// turn). Busy processes are never ended, so the total may stay above budget while
// turns run. rss reads one process's resident set size. It returns the total before
// trimming and the evict callbacks to run (outside any lock).
func (s *Scheduler) TrimToBudget(budget int64, rss func(pid int) int64) (total int64, evicts []func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	type sized struct {
		e   *entry
		rss int64
	}
	var idle []sized
	for _, e := range s.entries {
		if e.pid <= 0 {
			continue
		}
		n := rss(e.pid)
		total += n
		if e.state != Busy {
			idle = append(idle, sized{e, n})
		}
	}
	if budget <= 0 || total <= budget {
		return total, nil
	}
	sort.Slice(idle, func(i, j int) bool {
		a, b := idle[i].e, idle[j].e
		if (a.state == Prewarmed) != (b.state == Prewarmed) {
			return a.state == Prewarmed
		}
		return a.lastUsed.Before(b.lastUsed)
	})
	left := total
	for _, v := range idle {
		if left <= budget {
			break
		}
		delete(s.entries, v.e.id)
		if v.e.evict != nil {
			evicts = append(evicts, v.e.evict)
		}
		left -= v.rss
	}
	// Freed slots go to waiting turns first.
	return total, append(evicts, s.dispatchLocked()...)
}
