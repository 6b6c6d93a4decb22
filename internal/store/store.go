// Package store persists ccgateway's state: admins, API keys, conversations and their
// messages, CLI transcripts, usage events, the audit log, policies and conversation
// leases. One Store interface has two implementations, SQLite (the embedded default)
// and PostgreSQL, and both pass the conformance suite in storetest.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors returned by every Store implementation. Callers test them with errors.Is.
var (
	// ErrNotFound means the row asked for does not exist (or belongs to another tenant).
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a unique constraint (name, hash, id) would be violated.
	ErrConflict = errors.New("store: conflict")
	// ErrLeaseHeld means another owner holds an unexpired lease.
	ErrLeaseHeld = errors.New("store: lease held by another owner")
)

// Key statuses as stored. "expired" is derived from ExpiresAt by callers, but an
// admin may also set it explicitly.
const (
	KeyActive    = "active"
	KeySuspended = "suspended"
	KeyExpired   = "expired"
)

// Admin is a local admin user; PasswordHash is an encoded argon2id hash.
type Admin struct {
	ID           string
	Username     string
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// TokenVersion is carried by the admin's tokens; a password reset or a
	// logout bumps it, revoking every token issued before. It starts at 1.
	TokenVersion int64
}

// UsageLimit holds per-key quotas; zero means unlimited.
type UsageLimit struct {
	RequestsPerMinute int64 `json:"requests_per_minute"`
	RequestsPerDay    int64 `json:"requests_per_day"`
	TokensPerDay      int64 `json:"tokens_per_day"`
}

// Permissions limits what a key may ask for; empty Models means every model,
// zero MaxTokens means no cap.
type Permissions struct {
	Models         []string `json:"models"`
	MaxTokens      int64    `json:"max_tokens"`
	AllowStreaming bool     `json:"allow_streaming"`
}

// KeyMetadata is free descriptive data an admin attaches to a key.
type KeyMetadata struct {
	UserID      string `json:"user_id"`
	Project     string `json:"project"`
	Description string `json:"description"`
}

// APIKey is a tenant credential. Only the hash of the secret is stored; Prefix is a
// short, non-secret display form ("sk-ccg-AbCd…").
type APIKey struct {
	ID         string
	Name       string
	Prefix     string
	Hash       string // hex SHA-256 of the full secret
	Status     string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time

	UsageLimit            UsageLimit
	Permissions           Permissions
	Metadata              KeyMetadata
	MaxConcurrentRequests int64
	CostUSDPerDay         float64
	AllowedIPs            []string // CIDRs; empty = any
	RequireSignature      bool
	SigningSecret         string   // HMAC secret for request signing; never returned by the API after creation
	Tools                 []string // CLI tool allowlist; empty = no tools

	// PrevHash is the hash of the secret replaced by the last rotation; it stays valid
	// until PrevHashExpiresAt (the rotation's grace period).
	PrevHash          string
	PrevHashExpiresAt *time.Time
}

// KeyFilter selects keys for ListAPIKeys. Search matches name and metadata fields
// (case-insensitive substring).
type KeyFilter struct {
	Status string
	Search string
	Limit  int // 0 = 50
	Offset int
}

// Conversation is one chat session owned by one API key.
type Conversation struct {
	ID           string
	APIKeyID     string
	Model        string
	SystemPrompt string
	Title        string
	Metadata     map[string]string
	SessionID    string // the CLI session id (a UUID)
	MaxTokens    int64
	Temperature  *float64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Message is one turn of a conversation, user or assistant. Usage fields are set
// on assistant messages.
type Message struct {
	ID                       string
	ConversationID           string
	Seq                      int64 // 1-based, increasing within a conversation
	Role                     string
	Content                  string
	Model                    string
	InputTokens              int64
	OutputTokens             int64
	CacheReadInputTokens     int64
	CacheCreationInputTokens int64
	CostUSD                  float64
	DurationMS               int64
	StopReason               string
	CreatedAt                time.Time
}

// MessagePageQuery selects one page of a conversation's messages, counted back
// from the newest: Before is an exclusive Seq cursor (<= 0: none), Limit the page
// size (<= 0: 100) and MaxBytes, when > 0, a bound on the page's MessageSize sum.
type MessagePageQuery struct {
	Before   int64
	Limit    int
	MaxBytes int
}

// MessagePage is one page of a conversation's messages in Seq order. Total counts
// all the conversation's messages; HasMore reports messages older than the page's
// first (continue with Before set to Messages[0].Seq).
type MessagePage struct {
	Messages []*Message
	Total    int
	HasMore  bool
}

// MessageSize estimates m's size in an API response: its text plus a fixed
// allowance for the other fields.
func MessageSize(m *Message) int {
	return 256 + len(m.Content) + len(m.Model) + len(m.StopReason) + len(m.Role)
}

// StoredResponse is one Responses API object as returned to its key: Body is its
// JSON; MessageSeq is the assistant message of the conversation it ended with.
type StoredResponse struct {
	ID             string
	APIKeyID       string
	ConversationID string
	MessageSeq     int64
	Body           []byte
	CreatedAt      time.Time
}

// IdempotencyRecord is the first answer to a POST create sent with an
// Idempotency-Key. Scope is whose key it is (an API key id, or "admin:" and the
// admin's subject); RequestHash identifies the request body it answered; Status
// is 0 while that request still runs.
type IdempotencyRecord struct {
	Scope       string
	Operation   string
	Key         string
	RequestHash string
	Status      int
	Header      map[string][]string
	Body        []byte
	CreatedAt   time.Time
}

// Transcript is the CLI's session file for a conversation, kept so a conversation
// can resume after a restart, a lost data dir or on another node.
type Transcript struct {
	ConversationID string
	SessionID      string
	Data           []byte
	UpdatedAt      time.Time
}

// UsageEvent is one API request's record.
type UsageEvent struct {
	ID                       int64 // assigned by the store
	APIKeyID                 string
	Timestamp                time.Time
	Endpoint                 string
	Method                   string
	RequestTokens            int64
	ResponseTokens           int64
	TotalTokens              int64
	CacheReadInputTokens     int64
	CacheCreationInputTokens int64
	CostUSD                  float64
	ResponseTimeMS           int64
	TTFTMS                   int64
	StatusCode               int
	Model                    string
	Error                    string
	ConversationID           string
	RequestID                string
	Node                     string
	// Admitted is set when admission issued the request a ticket (it was counted
	// and held a slot), whatever the outcome: the tenant grain's counters are
	// rebuilt from exactly these events.
	Admitted bool
}

// UsageFilter selects usage events. Zero values mean "any".
type UsageFilter struct {
	APIKeyID   string
	Model      string
	From       time.Time
	To         time.Time // exclusive
	Status     int       // exact status code
	ErrorsOnly bool
	// Admitted keeps only the requests admission let through (UsageEvent.Admitted).
	Admitted bool
	Limit    int // 0 = 100
	Offset   int
}

// UsageTotals aggregates usage events.
type UsageTotals struct {
	Requests       int64
	Errors         int64
	RequestTokens  int64
	ResponseTokens int64
	TotalTokens    int64
	CostUSD        float64
}

// UsageBucket aggregates the usage events of one time bucket for UsageSeries.
// An error is an event with StatusCode >= 400. P50MS and P95MS are nearest-rank
// percentiles of the bucket's ResponseTimeMS values (0 for an empty bucket).
type UsageBucket struct {
	Start          time.Time // inclusive; the bucket ends at Start + bucket width
	Requests       int64
	Errors         int64
	RequestTokens  int64
	ResponseTokens int64
	TotalTokens    int64
	CostUSD        float64
	P50MS          int64
	P95MS          int64
}

// AuditEntry records one admin action. Before and After are JSON documents with
// secrets already masked by the caller.
type AuditEntry struct {
	ID     int64
	Time   time.Time
	Actor  string
	Action string
	Target string
	IP     string
	Before string
	After  string
}

// AuditFilter selects audit entries, newest first.
type AuditFilter struct {
	Actor  string
	Action string
	Target string
	From   time.Time
	To     time.Time
	Limit  int // 0 = 100
	Offset int
}

// PolicyVersion is one uploaded version of a WASM policy.
type PolicyVersion struct {
	Name    string
	Version int64 // assigned by the store: 1, 2, ... per name
	Wasm    []byte
	SHA256  string
	Config  string // JSON
	Tests   string // JSON self-test cases
	// FailureMode is what the chain does when the policy errs: "closed" (deny,
	// the default when empty) or "open" (skip it).
	FailureMode string
	Active      bool
	CreatedAt   time.Time
	CreatedBy   string
}

// Lease grants one node the right to run a conversation's CLI. Token increases on
// every new acquisition (a fencing token).
type Lease struct {
	ConversationID string
	Owner          string
	Token          int64
	ExpiresAt      time.Time
}

// Store is the persistence contract. Every method is safe for concurrent use.
// Not-found is always ErrNotFound (wrapped), never (nil, nil).
type Store interface {
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Migrate applies the embedded migrations; it is idempotent.
	Migrate(ctx context.Context) error
	Close() error

	// Admins.
	UpsertAdmin(ctx context.Context, a *Admin) error // by Username; sets ID when new
	GetAdminByUsername(ctx context.Context, username string) (*Admin, error)
	// RevokeAdminTokens bumps the admin's TokenVersion and returns the new one.
	RevokeAdminTokens(ctx context.Context, username string) (int64, error)

	// API keys.
	CreateAPIKey(ctx context.Context, k *APIKey) error // k.ID set by caller (UUID)
	GetAPIKey(ctx context.Context, id string) (*APIKey, error)
	// GetAPIKeyByHash matches Hash, or PrevHash while PrevHashExpiresAt is in the future.
	GetAPIKeyByHash(ctx context.Context, hash string) (*APIKey, error)
	ListAPIKeys(ctx context.Context, f KeyFilter) ([]*APIKey, int, error) // page, total
	UpdateAPIKey(ctx context.Context, k *APIKey) error                    // all mutable fields by ID
	DeleteAPIKey(ctx context.Context, id string) error
	TouchAPIKey(ctx context.Context, id string, at time.Time) error // last_used_at

	// Conversations. Methods taking apiKeyID return ErrNotFound for another key's rows.
	// A conversation belongs to an existing API key (CreateConversation with an
	// unknown key gives ErrNotFound) and is deleted with it.
	CreateConversation(ctx context.Context, c *Conversation) error
	GetConversation(ctx context.Context, apiKeyID, id string) (*Conversation, error)
	ListConversations(ctx context.Context, apiKeyID string, limit, offset int) ([]*Conversation, int, error)
	UpdateConversation(ctx context.Context, c *Conversation) error
	// DeleteConversation removes the conversation, its messages, transcript and lease.
	DeleteConversation(ctx context.Context, apiKeyID, id string) error
	// ListIdleConversations returns conversations not updated since before.
	ListIdleConversations(ctx context.Context, before time.Time, limit int) ([]*Conversation, error)

	// AppendMessages stores messages atomically, assigning Seq after the current last
	// (and ID and CreatedAt when empty); it also bumps the conversation's UpdatedAt.
	// An unknown conversation gives ErrNotFound.
	AppendMessages(ctx context.Context, conversationID string, msgs []*Message) error
	ListMessages(ctx context.Context, conversationID string) ([]*Message, error)
	// ListMessagesPage returns the latest q.Limit messages with Seq below q.Before
	// (all when q.Before <= 0), oldest first, stopping early (at least one message)
	// once their MessageSize would pass q.MaxBytes (when > 0). An unknown or empty
	// conversation gives an empty page.
	ListMessagesPage(ctx context.Context, conversationID string, q MessagePageQuery) (*MessagePage, error)

	// History hashes let the OpenAI- and Anthropic-compatible endpoints, whose clients
	// resend the whole history on every call, find the conversation it belongs to with
	// one indexed lookup. SetConversationHistoryHash replaces the hash of apiKeyID's
	// conversation (ErrNotFound when it is not theirs); FindConversationByHistoryHash
	// returns apiKeyID's conversation whose current hash is hash, the latest if several.
	// Deleting a conversation deletes its hash.
	SetConversationHistoryHash(ctx context.Context, apiKeyID, conversationID, hash string) error
	FindConversationByHistoryHash(ctx context.Context, apiKeyID, hash string) (*Conversation, error)

	// Responses are the OpenAI Responses API objects the gateway returned, kept so
	// GET /v1/responses/{id} returns them again and previous_response_id finds its
	// conversation. Methods taking apiKeyID return ErrNotFound for another key's
	// rows; a response goes with its conversation or key. PutResponse with a known
	// ID gives ErrConflict.
	PutResponse(ctx context.Context, r *StoredResponse) error
	GetResponse(ctx context.Context, apiKeyID, id string) (*StoredResponse, error)
	DeleteResponse(ctx context.Context, apiKeyID, id string) error

	// Idempotency keys. ClaimIdempotencyKey records r as in flight (Status 0) and
	// returns nil, unless a record for (Scope, Operation, Key) created after
	// notBefore exists: then it returns that record (in flight or complete) and
	// records nothing. An older record is replaced. CompleteIdempotencyKey stores the
	// answer of a claimed key; ReleaseIdempotencyKey forgets a claim (the request
	// failed in a way a retry may fix); PurgeIdempotencyKeys deletes records
	// created before before and returns how many.
	ClaimIdempotencyKey(ctx context.Context, r *IdempotencyRecord, notBefore time.Time) (*IdempotencyRecord, error)
	CompleteIdempotencyKey(ctx context.Context, r *IdempotencyRecord) error
	ReleaseIdempotencyKey(ctx context.Context, scope, operation, key string) error
	PurgeIdempotencyKeys(ctx context.Context, before time.Time) (int64, error)

	// CommitTurn stores a finished turn of l's conversation atomically: msgs as
	// AppendMessages would, and t (its ConversationID set) as PutTranscript would,
	// only while l's owner still holds l's token (the fencing check; otherwise
	// ErrLeaseHeld). On error nothing is stored. An unknown conversation gives
	// ErrNotFound.
	CommitTurn(ctx context.Context, l *Lease, msgs []*Message, t *Transcript) error

	// PutTranscript inserts or replaces the transcript of an existing conversation.
	PutTranscript(ctx context.Context, t *Transcript) error
	GetTranscript(ctx context.Context, conversationID string) (*Transcript, error)

	// Usage.
	InsertUsageEvents(ctx context.Context, events []*UsageEvent) error // one transaction
	ListUsageEvents(ctx context.Context, f UsageFilter) ([]*UsageEvent, int, error)
	// SumUsage aggregates every event matching f; Limit and Offset are ignored, and
	// an error is an event with StatusCode >= 400 (as in every usage aggregate).
	SumUsage(ctx context.Context, f UsageFilter) (UsageTotals, error)
	// SumUsageByKey is SumUsage grouped by API key id; keys without events are absent.
	SumUsageByKey(ctx context.Context, f UsageFilter) (map[string]UsageTotals, error)
	// SumUsageByModel is SumUsage grouped by model ("" for events without one).
	SumUsageByModel(ctx context.Context, f UsageFilter) (map[string]UsageTotals, error)
	// UsageSeries aggregates the events matching f into buckets of width bucket
	// (> 0), oldest first and without gaps. Buckets are aligned to f.From when set,
	// else to the Unix epoch; the series runs from f.From (or the first event's
	// bucket) to the bucket holding f.To (or the last event's). It fails rather than
	// return more than 10000 buckets. Limit and Offset are ignored.
	UsageSeries(ctx context.Context, f UsageFilter, bucket time.Duration) ([]UsageBucket, error)
	DeleteUsageBefore(ctx context.Context, before time.Time) (int64, error)

	// Audit log.
	InsertAudit(ctx context.Context, e *AuditEntry) error
	ListAudit(ctx context.Context, f AuditFilter) ([]*AuditEntry, int, error)
	DeleteAuditBefore(ctx context.Context, before time.Time) (int64, error)

	// Policies.
	CreatePolicyVersion(ctx context.Context, p *PolicyVersion) error // assigns Version
	ListPolicyVersions(ctx context.Context, name string) ([]*PolicyVersion, error)
	GetPolicyVersion(ctx context.Context, name string, version int64) (*PolicyVersion, error)
	// ActivatePolicyVersion makes version the only active one of name.
	ActivatePolicyVersion(ctx context.Context, name string, version int64) error
	DeactivatePolicy(ctx context.Context, name string) error
	ListActivePolicies(ctx context.Context) ([]*PolicyVersion, error)
	// ListPolicyNames returns the name of every stored policy, sorted.
	ListPolicyNames(ctx context.Context) ([]string, error)
	DeletePolicy(ctx context.Context, name string) error

	// Leases. AcquireLease succeeds when no lease exists, the lease expired, or owner
	// already holds it (then it renews, keeping Token). A new holder gets Token+1.
	AcquireLease(ctx context.Context, conversationID, owner string, ttl time.Duration) (*Lease, error)
	// Re-acquiring after release or expiry counts as a new acquisition. Another
	// owner's unexpired lease gives ErrLeaseHeld.
	// RenewLease extends a lease only if owner and token still match (ErrLeaseHeld
	// when taken over, ErrNotFound when there is none) and updates l.ExpiresAt.
	RenewLease(ctx context.Context, l *Lease, ttl time.Duration) error
	// ReleaseLease expires l at once if owner and token still match; the token is
	// kept so that the next holder's is larger.
	ReleaseLease(ctx context.Context, l *Lease) error
	// TakeOverLeases expires every unexpired lease of owner (a node declared dead)
	// and bumps each one's token, so the owner's renewals and fenced commits fail
	// and another owner may acquire at once. It returns how many it ended.
	TakeOverLeases(ctx context.Context, owner string) (int64, error)
}
