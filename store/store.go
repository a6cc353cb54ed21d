// Package store holds revokebot's durable state: revocation requests with the
// decisions taken on them, the hash-chained audit log, the outbox of Slack
// messages still to be delivered, and the checkpoints of bulk jobs and other
// long-running tasks.
//
// Every state change is a compare-and-set, so two clicks, a duplicate delivery
// or two replicas sharing one database execute a request at most once.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Kind is what a request revokes.
type Kind string

// KindUser is a /revoke <user> request.
const KindUser Kind = "user"

// State is where a request is in its life.
type State string

// The states of a request. Pending leads to running, cancelled, denied,
// expired or failed; running leads to succeeded, failed or (bulk jobs only)
// stopped, which bulk.go declares beside the rest of the bulk job's state.
// Transitions is the table of these moves.
const (
	StatePending   State = "pending"   // card shown, waiting for confirm/approve
	StateRunning   State = "running"   // confirmed/approved: execution claimed by exactly one worker
	StateSucceeded State = "succeeded" // every action was accepted
	StateFailed    State = "failed"    // at least one action failed; Detail says which
	StateCancelled State = "cancelled" // the requester or an approver withdrew it
	StateDenied    State = "denied"    // an approver refused it
	StateExpired   State = "expired"   // nobody decided in time
)

// Terminal reports whether a request in state s is finished for good.
func (s State) Terminal() bool {
	switch s {
	case StateSucceeded, StateFailed, StateCancelled, StateDenied, StateExpired, StateStopped:
		return true
	}
	return false
}

func (s State) valid() bool { return s == StatePending || s == StateRunning || s.Terminal() }

// Request is one /revoke request and the decisions taken on it.
type Request struct {
	ID            string
	Kind          Kind
	State         State
	Requester     string // Slack user ID
	Channel       string
	RootTS        string // ts of the root message in Channel, set after it is posted
	TriggerID     string // Slack trigger_id of the command; unique when non-empty (duplicate deliveries)
	NeedsApproval bool
	Target        json.RawMessage // opaque to the store: the resolved target(s) as the bot serialised them
	DecidedBy     string
	Detail        string // outcome in words
	// Times are kept in UTC to the microsecond. A zero ExpiresAt never expires.
	CreatedAt, ExpiresAt, UpdatedAt time.Time
	// Sig is the bot's signature of what the request will do, made when it
	// was created; DecisionSig that of the decision that let it run, written
	// by the move to running (Change.Sig). The store keeps them and checks
	// neither: the bot does, with a key the database does not hold.
	Sig, DecisionSig string
	// Subjects are the Entra object IDs of the users the request names, at
	// most MaxSubjects: stored lower-cased and without repeats, in the order
	// given; nil when it names none (a /revoke all). RequestsAbout finds a
	// request by any of them.
	Subjects []string
}

// Errors a caller acts on; match them with errors.Is.
var (
	ErrNotFound  = errors.New("store: not found")
	ErrDuplicate = errors.New("store: duplicate")     // ID or TriggerID already exists
	ErrConflict  = errors.New("store: state changed") // compare-and-set lost
)

// Change is what a transition records besides the new state.
// Empty DecidedBy/Detail leave the old values; a zero At means now.
//
// Audit, Tell and CreateJob are written in the same database transaction as
// the state, and only when the compare-and-set wins: a decision, its audit
// record and the messages that announce it land together or not at all, so
// a crash between them can neither lose the record nor tell of a decision
// that was not taken.
type Change struct {
	DecidedBy, Detail string
	At                time.Time
	// Unexpired makes the compare-and-set also require ExpiresAt to be after
	// At, so a decision read before the deadline cannot land after it.
	Unexpired bool
	// Audit, when set, is appended to the audit chain (as AppendAudit does;
	// a zero Time means At).
	Audit *Event
	// Tell is put in the outbox, each message with AuditSeq set to the
	// record appended for Audit (0 without one) and CreatedAt to At.
	Tell []Tell
	// CreateJob starts the request's bulk job checkpoint, created at At, as
	// Bulk.CreateJob does; a job that already exists is left as it is.
	CreateJob bool
	// Sig is kept as the request's DecisionSig when this change moves it
	// to running (empty: the old one stays); ApprovalSig is kept with the
	// approval Approve records.
	Sig, ApprovalSig string
	// Requester, when set, becomes the request's requester, and
	// RequestSig (which must come with it) the signature of its statement
	// naming them: the person who confirms an alert card is its requester.
	Requester, RequestSig string
}

// Store is the durable state shared by every replica of the bot.
type Store interface {
	// CreateRequest stores a new request; an empty State means pending and a
	// zero CreatedAt means now. It fails with ErrDuplicate on a known ID or TriggerID.
	CreateRequest(ctx context.Context, r Request) error
	// Request returns request id, or ErrNotFound.
	Request(ctx context.Context, id string) (Request, error)
	// SetRootTS records the ts of the request's root message.
	SetRootTS(ctx context.Context, id, ts string) error
	// SetTarget replaces what request id stores of its targets, only while
	// it is in state `in` (a pending card's listings, which fill in after
	// the card is posted), and puts tell in the outbox in the same write
	// (a card's redraw: no reply or audit line, which need a record). It
	// fails with ErrConflict when the request is in another state.
	SetTarget(ctx context.Context, id string, in State, target []byte, tell []Tell) error
	// Transition moves request id from `from` to `to` only if it is in `from` now (one atomic compare-and-set).
	// It returns the request after the change; when the current state is not `from` it returns the current
	// request and an error wrapping ErrConflict. A terminal `from` is refused: finished requests stay finished.
	// A move that is not in Transitions is refused with ErrIllegal before the database is asked.
	Transition(ctx context.Context, id string, from, to State, c Change) (Request, error)
	// Decide is Transition that also returns the audit record appended for
	// c.Audit: a zero Record when c.Audit is nil or the compare-and-set lost.
	Decide(ctx context.Context, id string, from, to State, c Change) (Request, Record, error)
	// DuePending lists pending requests whose ExpiresAt <= now.
	DuePending(ctx context.Context, now time.Time) ([]Request, error)
	// InState lists requests in a state (e.g. running ones after a restart), oldest first.
	InState(ctx context.Context, s State) ([]Request, error)
	// RequestsAbout lists the requests whose Subjects include subject (matched
	// exactly, ignoring case), newest first: by CreatedAt, then ID, both
	// descending. It returns at most limit of them; a limit <= 0 or over 100
	// means 100. A subject no request names has an empty list and no error.
	RequestsAbout(ctx context.Context, subject string, limit int) ([]Request, error)

	// AppendAudit appends one record to the hash chain and returns it (Seq and hashes filled in).
	// A zero Time means now. The tells are put in the outbox in the same
	// transaction, each with AuditSeq set to the record's Seq and CreatedAt
	// to its Time: the record and its messages are kept together or not at all.
	AppendAudit(ctx context.Context, e Event, tell ...Tell) (Record, error)
	// AuditRecord returns record seq, or ErrNotFound.
	AuditRecord(ctx context.Context, seq int64) (Record, error)
	// AuditTrail returns the records of one request, in order.
	AuditTrail(ctx context.Context, requestID string) ([]Record, error)
	// VerifyAudit recomputes the whole chain and, with keys, checks every
	// record's signature; it returns how many records it checked (and how
	// many stand unsigned at the start), and a *ChainError on the first
	// altered, reordered, inserted, missing, unsigned-after-signed or badly
	// signed record (including records cut off the end). Without keys it
	// checks no signature, but still refuses an unsigned record after a
	// signed one.
	VerifyAudit(ctx context.Context, keys Checker) (Verified, error)
	// ExportAudit calls fn with every record whose Time is at or after since (a
	// zero since: every record), in Seq order, streaming from one read-only
	// snapshot so memory stays flat however long the log; it stops at fn's first
	// error and returns it unwrapped.
	ExportAudit(ctx context.Context, since time.Time, fn func(Record) error) error
	// AuditHead returns the chain head: the Seq of the last record and its hash
	// (0 and the genesis hash of 64 zeros for an empty log).
	AuditHead(ctx context.Context) (seq int64, hash string, err error)
	// AuditHashes returns the hash of each record numbered in seqs that the log
	// holds; numbers it lacks are absent from the map. At most 1,000 seqs a call.
	AuditHashes(ctx context.Context, seqs []int64) (map[int64]string, error)

	// Bulk keeps the checkpoints of /revoke all jobs.
	Bulk
	// Outbox keeps the messages still to be delivered to Slack.
	Outbox
	// Tasks keeps the checkpoints of long-running work, such as sign-in watches.
	Tasks
	// Quorum counts the approvals of requests that need N of them.
	Quorum

	// Ping reports whether the store answers (for /readyz).
	Ping(ctx context.Context) error
	// Close releases the store's connections.
	Close() error
}

// Open opens the store a REVOKEBOT_STORE value names: "sqlite:PATH" (created
// if missing; directories are not created) or a "postgres://" or
// "postgresql://" URL (the database must exist; tables go into the first
// schema on its search_path). The schema is created or migrated on open.
// Errors name the scheme, never the whole value: a database URL may hold a
// password.
func Open(ctx context.Context, url string, opts ...Option) (Store, error) {
	st, err := open(ctx, url, false)
	if err != nil {
		return nil, err
	}
	for _, o := range opts {
		o(st)
	}
	return st, nil
}

// Option sets how an opened store behaves.
type Option func(Store)

// SignWith makes the store sign every audit record it appends with s.
func SignWith(s Signer) Option {
	return func(st Store) {
		switch st := st.(type) {
		case *sqliteStore:
			st.signer = s
		case *pgStore:
			st.signer = s
		}
	}
}

// OpenExisting opens a store that must already exist, read-only and without
// migrating: for checking an audit log, which must not be created or changed
// by the check.
func OpenExisting(ctx context.Context, url string) (Store, error) {
	return open(ctx, url, true)
}

func open(ctx context.Context, url string, existing bool) (Store, error) {
	scheme, rest, ok := strings.Cut(url, ":")
	switch {
	case !ok || !schemeRE.MatchString(scheme):
		return nil, errors.New("store: want sqlite:PATH or postgres://…, got a value without a recognisable scheme")
	case scheme == "sqlite" && existing:
		return openSQLiteExisting(ctx, rest)
	case scheme == "sqlite":
		return openSQLite(ctx, rest)
	case scheme == "postgres" || scheme == "postgresql":
		return openPostgres(ctx, url, existing)
	}
	return nil, fmt.Errorf("store: unsupported scheme %q (supported: sqlite, postgres)", scheme)
}

// schemeRE keeps Open from echoing anything but a plausible scheme: in
// "user:password@host" the part before the colon is not one.
var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]{0,19}$`)

// prepareRequest checks r and fills in the defaults CreateRequest documents,
// so that every backend accepts and stores exactly the same values.
func prepareRequest(r Request, now func() time.Time) (Request, error) {
	for _, s := range []*string{&r.ID, &r.Requester, &r.Channel, &r.RootTS, &r.TriggerID, &r.DecidedBy, &r.Detail} {
		*s = cleanText(*s)
	}
	r.Kind = Kind(cleanText(string(r.Kind)))
	switch {
	case r.ID == "":
		return r, errors.New("store: request without ID")
	case r.Kind == "":
		return r, fmt.Errorf("store: request %q without kind", r.ID)
	case r.State == "":
		r.State = StatePending
	case !r.State.valid():
		return r, fmt.Errorf("store: request %q: unknown state %q", r.ID, r.State)
	}
	var err error
	if r.Subjects, err = prepareSubjects(r.ID, r.Subjects); err != nil {
		return r, err
	}
	if len(r.Target) == 0 {
		r.Target = nil
	} else if !json.Valid(r.Target) {
		return r, fmt.Errorf("store: request %q: target is not JSON", r.ID)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now()
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	r.CreatedAt, r.ExpiresAt, r.UpdatedAt = utc(r.CreatedAt), utc(r.ExpiresAt), utc(r.UpdatedAt)
	return r, nil
}

// prepareChange cleans the text a transition stores and fills in At, for the
// same reason as prepareRequest.
func prepareChange(c Change, now func() time.Time) Change {
	c.DecidedBy, c.Detail, c.Requester = cleanText(c.DecidedBy), cleanText(c.Detail), cleanText(c.Requester)
	if c.At = utc(c.At); c.At.IsZero() {
		c.At = utc(now())
	}
	return c
}

// cleanText replaces NUL and invalid UTF-8, which PostgreSQL text refuses.
// Every backend cleans every string it stores or looks up with it, so both
// keep the same values and a key is found the way it was stored; otherwise a
// stray byte in an error detail could fail a transition on one backend only.
func cleanText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// utc is the precision every backend can keep: PostgreSQL stores microseconds.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}
