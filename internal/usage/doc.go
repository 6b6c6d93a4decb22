// Package usage records one usage event per API request without slowing the
// request down. Writer buffers events in memory, writes them to the store in
// batches (by size and by interval), keeps each key's last_used_at current with a
// throttled touch, fans events out to live subscribers (the admin monitor feed),
// and flushes everything on Close. Sweeper purges old usage events and audit
// entries on a schedule.
//
// Buffer policy: the buffer is bounded (Config.BufferSize). When the store fails,
// the batch goes back to the front of the buffer and the write is retried with
// exponential backoff, so a short database outage loses nothing. Only when the
// buffer is full (a long outage under load) are new events refused; each refusal
// is counted (Stats.Dropped) and logged, never silent. Close keeps retrying until
// its context ends and reports how many events it could not write.
package usage
