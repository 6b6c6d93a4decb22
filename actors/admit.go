package actors

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/actors/tenant"
	"github.com/ccgateway/ccgateway/internal/telemetry"
	"github.com/ccgateway/ccgateway/policies/abi"
	"github.com/ccgateway/ccgateway/policies/abi/abijson"
)

// Errors of Admit besides a policy's denial.
var (
	// ErrAdmissionBusy: too many requests of one key wait to be admitted.
	ErrAdmissionBusy = errors.New("actors: " + tenant.ErrTextBusy)
	// ErrCountersUnavailable: the key's counters could not be rebuilt from the store.
	ErrCountersUnavailable = errors.New("actors: " + tenant.ErrTextUnavailable)
	// ErrAdmissionTimeout: the tenant grain did not answer in time (it is busy,
	// moving, or its node is unreachable); the request was not admitted.
	ErrAdmissionTimeout = errors.New("actors: admission timed out")
)

// Admission is a request to admit, as the policies see it: the key's configuration
// and the request. Counters and time are the tenant grain's.
type Admission struct {
	Key     abi.Key
	Request abi.Request
	// DryRun decides without counting the request or holding a slot (a check of
	// settings stored for later turns); the Ticket is nil.
	DryRun bool
}

// Decision is the policies' verdict on an Admission. On allow, MaxTokens and Model
// (when set) rewrite the request.
type Decision struct {
	Allow      bool
	MaxTokens  *int64
	Model      *string
	FailedOpen []string // policies that failed and were skipped
	Denial     *Denial  // set when denied
	// Window is the key's requests-per-minute window once the request was
	// decided (nil when the grain could not tell): the RateLimit response fields.
	Window *MinuteWindow
}

// MinuteWindow is a key's requests-per-minute window at time At: the requests
// counted in the last 60 seconds, and how long until the oldest of them leaves
// the window (0 when none is counted).
type MinuteWindow struct {
	Requests int64
	Reset    time.Duration
	At       time.Time
}

// Denial is a policy's refusal, an error the API maps to 429 or 403 with Code.
type Denial struct {
	Code       string
	Reason     string
	RetryAfter time.Duration // zero when the policy gave none
	Policy     string        // the deciding policy and its version
	Version    int64
}

func (d *Denial) Error() string {
	return fmt.Sprintf("actors: denied by policy %s v%d: %s: %s", d.Policy, d.Version, d.Code, d.Reason)
}

// Reservation is an admitted request's in-flight slot on its tenant grain. Settle it
// exactly once when the turn ends; later calls do nothing.
type Reservation struct {
	s    *System
	key  string
	id   string
	once sync.Once
}

// Admit asks the key's tenant grain to decide a with the active policies. An
// allowed request is counted and holds an in-flight slot until its Reservation is
// settled; a denied one gets a nil Reservation and Decision.Denial.
func (s *System) Admit(ctx context.Context, a Admission) (Decision, *Reservation, error) {
	a.Key.ID = keyOr(a.Key.ID)
	in := abi.Input{ABI: abi.Version, Key: a.Key, Request: a.Request}
	timeout := requestTimeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = max(time.Until(dl), time.Millisecond)
	}
	req := &messages.AdmitRequest{ApiKeyId: a.Key.ID, Ticket: uuid.NewString(), Input: abijson.AppendInput(nil, &in),
		DeadlineUnixMs: time.Now().Add(timeout).UnixMilli(), DryRun: a.DryRun, Traceparent: telemetry.Traceparent(ctx)}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	r, err := ask[*messages.AdmitReply](actx, s, a.Key.ID, tenant.Kind, req)
	cancel()
	if err != nil {
		// The grain may still admit the ticket (it was queued, or the answer was
		// lost): release it so that it holds no slot.
		if !a.DryRun {
			s.releaseTicket(a.Key.ID, req.Ticket)
		}
		return Decision{}, nil, fmt.Errorf("%w: %w", ErrAdmissionTimeout, err)
	}
	switch r.Error {
	case "":
	case tenant.ErrTextBusy:
		return Decision{}, nil, ErrAdmissionBusy
	case tenant.ErrTextUnavailable:
		return Decision{}, nil, ErrCountersUnavailable
	case tenant.ErrTextAbandoned:
		return Decision{}, nil, ErrAdmissionTimeout
	default:
		return Decision{}, nil, fmt.Errorf("actors: admit: %s", r.Error)
	}
	d := Decision{Allow: r.Allow, FailedOpen: r.FailedOpen}
	if r.HasMinuteWindow {
		d.Window = &MinuteWindow{Requests: r.MinuteRequests, Reset: time.Duration(r.MinuteResetMs) * time.Millisecond, At: time.Now()}
	}
	if !r.Allow {
		d.Denial = &Denial{Code: r.Code, Reason: r.Reason, RetryAfter: time.Duration(r.RetryAfterS) * time.Second,
			Policy: r.Policy, Version: r.PolicyVersion}
		return d, nil, nil
	}
	if r.RewriteMaxTokens {
		d.MaxTokens = &r.MaxTokens
	}
	if r.RewriteModel != "" {
		d.Model = &r.RewriteModel
	}
	if a.DryRun {
		return d, nil, nil
	}
	return d, &Reservation{s: s, key: a.Key.ID, id: req.Ticket}, nil
}

// Settle frees the ticket's in-flight slot and adds the turn's real usage to the
// key's counters (zero Usage and cost for a failed turn).
func (t *Reservation) Settle(u Usage, costUSD float64) {
	if t == nil {
		return
	}
	t.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		_, err := t.s.request(ctx, t.key, tenant.Kind,
			&messages.Settle{ApiKeyId: t.key, Ticket: t.id, Tokens: u.Total(), CostUsd: costUSD})
		if err != nil {
			// Sent once more without waiting; the grain ignores a repeated ticket,
			// and an unsettled slot expires after HoldTTL whatever the traffic.
			t.s.log.Warn("settle failed; retrying without an answer", "api_key_id", t.key, "err", err)
			t.s.sendTenant(t.key, &messages.Settle{ApiKeyId: t.key, Ticket: t.id, Tokens: u.Total(), CostUsd: costUSD})
		}
	})
}

// settleSlot is the conversation grain's settle of a turn it accepted, once the
// turn ended: fire and forget, off the grain's goroutine (a tenant grain on
// another node is resolved first). The turn's caller settles the same ticket
// after its final event and waits for that answer (see Reservation.Settle); the
// tenant grain counts whichever comes first. Both carry the same usage when the
// caller's final event is the grain's; a caller that ended the turn itself (the
// grain's node was declared dead, or its receiver's limit passed) settles with
// none, and may come first: an undercount, never a double count.
func (s *System) settleSlot(key, ticket string, spent *messages.TurnUsage, costUSD float64) {
	m := &messages.Settle{ApiKeyId: key, Ticket: ticket, Tokens: usageOf(spent).Total(), CostUsd: costUSD}
	go s.sendTenant(key, m)
}

// releaseTicket frees an admission whose caller stopped waiting, fire and forget.
func (s *System) releaseTicket(key, ticket string) {
	s.sendTenant(key, &messages.Settle{ApiKeyId: key, Ticket: ticket})
}

// sendTenant sends m to the key's tenant grain without waiting for an answer.
func (s *System) sendTenant(key string, m any) {
	if err := s.tell(key, tenant.Kind, m, requestTimeout); err != nil {
		s.log.Warn("message to a tenant grain not sent", "api_key_id", key, "err", err)
	}
}

// Counters returns a key's live admission counters (for tests and the console).
func (s *System) Counters(ctx context.Context, keyID string) (abi.Counters, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	c, err := ask[*messages.TenantCounters](ctx, s, keyOr(keyID), tenant.Kind, &messages.TenantCountersRequest{})
	if err != nil {
		return abi.Counters{}, fmt.Errorf("actors: counters: %w", err)
	}
	return abi.Counters{RequestsLastMinute: c.RequestsLastMinute, RequestsToday: c.RequestsToday,
		TokensToday: c.TokensToday, CostToday: c.CostToday, InFlight: c.InFlight}, nil
}

// MinuteWindow returns a key's requests-per-minute window now (the RateLimit
// response fields of a request that admission did not decide).
func (s *System) MinuteWindow(ctx context.Context, keyID string) (MinuteWindow, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	c, err := ask[*messages.TenantCounters](ctx, s, keyOr(keyID), tenant.Kind, &messages.TenantCountersRequest{})
	if err != nil {
		return MinuteWindow{}, fmt.Errorf("actors: minute window: %w", err)
	}
	return MinuteWindow{Requests: c.RequestsLastMinute, Reset: time.Duration(c.MinuteResetMs) * time.Millisecond, At: time.Now()}, nil
}

// keyOr names the grain of requests without a key (a test harness without auth).
func keyOr(id string) string {
	if id == "" {
		return "anonymous"
	}
	return id
}
