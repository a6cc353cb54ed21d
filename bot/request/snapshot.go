package request

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// The evidence snapshot: what each user's account looked like before the
// actions changed anything, one JSON document a request, kept in the store
// and sealed by `snapshot` audit records carrying its SHA-256, so that
// `revokebot audit snapshot` can show it and tell whether it was changed.
//
// It is made in two parts. At the click, before the first change, from
// what the card read (nothing is read again, so the actions wait for
// nothing): the sign-in state, authentication methods, consents, inbox
// rules (hidden ones too), mailbox forwarding and protocols, the Slack
// account and the recent security changes, as far as the request's
// actions listed them; that part is sealed at once. After the actions, as
// Graph's reports budget allows, the log part (snapshot_logs.go) adds the
// sign-ins of the day and the directory events of the week before the
// click, and the directory roles held, and seals the whole again. A part
// not read says why.

// SnapshotSchema versions the document; docs/audit.md describes it.
const SnapshotSchema = "revokebot-snapshot/1"

// snapshotKind is the store task that keeps a request's snapshot.
const snapshotKind = "snapshot"

// SnapshotID is the store task that holds request id's snapshot.
func SnapshotID(requestID string) string { return "snapshot:" + requestID }

type snapshot struct {
	Schema    string    `json:"schema"`
	RequestID string    `json:"request_id"`
	TakenAt   time.Time `json:"taken_at"`
	// Logs says whether the log part is in: logsPending until it is read
	// after the actions, logsRead once it is, logsNone when this
	// deployment reads no logs.
	Logs  string         `json:"logs"`
	Users []userSnapshot `json:"users"`
}

// The states of a snapshot's log part.
const (
	logsPending = "pending"
	logsRead    = "read"
	logsNone    = "none"
)

type userSnapshot struct {
	ID             string                  `json:"id"`
	UPN            string                  `json:"upn"`
	DisplayName    string                  `json:"display_name"`
	UserType       string                  `json:"user_type"`
	AccountEnabled bool                    `json:"account_enabled"`
	SignInState    *revoke.Proof           `json:"sign_in_state,omitempty"` // as read for the card
	Methods        []revoke.Method         `json:"methods,omitempty"`       // phone numbers masked, as on the card
	Grants         []revoke.Grant          `json:"consents,omitempty"`
	Rules          []revoke.Rule           `json:"inbox_rules,omitempty"` // those that forward, redirect or delete
	HiddenRules    []revoke.Rule           `json:"hidden_inbox_rules,omitempty"`
	Forwarding     *revoke.Forwarding      `json:"forwarding,omitempty"`
	ProtocolsOn    []revoke.Protocol       `json:"protocols_on,omitempty"`
	SlackAccount   string                  `json:"slack_account,omitempty"`
	RecentChanges  []revoke.DirectoryEvent `json:"recent_changes,omitempty"`
	// The log part: the sign-ins of the 24 hours and the directory
	// events of the 7 days before the click, newest first, and the
	// directory roles the user holds (which no action changes).
	SignIns         []revoke.SignIn         `json:"sign_ins_24h,omitempty"`
	DirectoryEvents []revoke.DirectoryEvent `json:"directory_events_7d,omitempty"`
	Roles           []revoke.RoleHold       `json:"directory_roles,omitempty"`
	// NotRead names each part the snapshot lacks, and why.
	NotRead map[string]string `json:"not_read,omitempty"`
	// Left counts, per part, the entries past snapshotMost left out.
	Left map[string]int `json:"left_out,omitempty"`
}

// snapshotMost bounds each list a snapshot keeps per user: a mailbox with
// thousands of rules keeps the first this many, and says how many more.
const snapshotMost = 500

// bounded keeps the first snapshotMost of xs, counting the rest in left.
func bounded[T any](xs []T, part string, left map[string]int) []T {
	if len(xs) <= snapshotMost {
		return xs
	}
	left[part] = len(xs) - snapshotMost
	return xs[:snapshotMost]
}

// takeSnapshot makes the first part of request req's snapshot from what
// its card read; logs is its log part's state.
func takeSnapshot(req store.Request, t requestTarget, at time.Time, logs string) snapshot {
	s := snapshot{Schema: SnapshotSchema, RequestID: req.ID, TakenAt: at.UTC(), Logs: logs}
	for _, u := range t.Users {
		l := t.Listed[u.ID]
		left := map[string]int{}
		us := userSnapshot{ID: u.ID, UPN: u.UPN, DisplayName: u.DisplayName, UserType: u.UserType, AccountEnabled: u.AccountEnabled,
			Methods: bounded(l.Methods, "methods", left), Grants: bounded(l.Grants, "consents", left),
			Rules: bounded(l.Rules, "inbox_rules", left), HiddenRules: bounded(l.Hidden, "hidden_inbox_rules", left),
			Forwarding: l.Forwarding, ProtocolsOn: l.ProtocolsOn, SlackAccount: l.ChatUser, RecentChanges: l.Changes, SignInState: l.State,
			NotRead: map[string]string{}}
		if len(left) > 0 {
			us.Left = left
		}
		for part, why := range map[string]string{"methods": l.MethodsError, "consents": l.GrantsError, "inbox_rules": l.RulesError,
			"hidden_inbox_rules": l.HiddenError, "forwarding": l.ForwardingError, "protocols": l.ProtocolsError,
			"slack_account": l.ChatError, "recent_changes": l.ChangesError, "sign_in_state": l.StateError} {
			if why != "" {
				us.NotRead[part] = why
			}
		}
		if l.Pending {
			us.NotRead["listing"] = "the card was still being listed when the request was confirmed"
		}
		if len(us.NotRead) == 0 {
			us.NotRead = nil
		}
		s.Users = append(s.Users, us)
	}
	return s
}

// sealSnapshot keeps the first part of req's snapshot and seals it with a
// `snapshot` audit record carrying its SHA-256. Its content is the card's,
// read before the click, so it is sealed beside the first actions, not
// before them (the store's writes would delay Graph's first by as much),
// and before any outcome is recorded. A snapshot that cannot be kept is
// said in the thread; the actions go on.
// One without a log part to come is complete, and is attached at once.
func (b *executor) sealSnapshot(ctx context.Context, req store.Request, t requestTarget) {
	logs := logsNone
	if b.readsLogs() {
		logs = logsPending
	}
	s := takeSnapshot(req, t, b.now(), logs)
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return
	}
	rctx, cancel := recordContext(ctx)
	defer cancel()
	if err := b.store.CreateTask(rctx, store.Task{ID: SnapshotID(req.ID), Kind: snapshotKind, RequestID: req.ID, State: raw, Done: logs == logsNone, CreatedAt: b.now()}); err != nil {
		b.log.Error("could not keep the evidence snapshot", "request_id", req.ID, "error", err)
		b.tell.auditOrSay(ctx, req, EvSnapshot, systemActor, "The evidence snapshot could not be kept: "+describe(err))
		return
	}
	words := fmt.Sprintf("Evidence snapshot of %s before the actions sealed: sha256 `%s` (`revokebot audit snapshot %s` prints it).",
		plural(len(t.Users), "user"), digestOf(raw), Escape(req.ID))
	if logs == logsPending {
		words += " Their sign-ins of the 24 hours and directory events of the 7 days before are read after the actions, as Graph allows, and sealed with it."
	}
	if _, err := b.tell.audit(ctx, req, EvSnapshot, systemActor, words); err != nil || logs == logsPending {
		return
	}
	b.attachLater(req, raw)
}

// attachLater attaches a sealed snapshot to the thread beside the work,
// not before it: Slack's upload takes seconds, and the seal is what the
// evidence rests on.
func (b *env) attachLater(req store.Request, raw []byte) {
	if req.RootTS == "" {
		return
	}
	attach := func(ctx context.Context) {
		ctx, cancel := recordContext(ctx)
		defer cancel()
		if err := b.msg.Upload(ctx, req.Channel, req.RootTS, File{Name: "snapshot-" + req.ID + ".json",
			Title: "Evidence before the actions, " + req.ID, Body: bytes.NewReader(raw), Size: len(raw)}); err != nil {
			b.log.Warn("could not attach the evidence snapshot", "request_id", req.ID, "error", err)
		}
	}
	if !b.runs.start("attach:"+req.ID, attach) {
		attach(context.Background()) // no background work here (tests): attach in line
	}
}

// digestOf is the hex SHA-256 a `snapshot` record seals.
func digestOf(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// SnapshotDigest reads the SHA-256 a `snapshot` record's detail seals; ""
// when it holds none.
func SnapshotDigest(detail string) string {
	const mark = "sha256 `"
	i := strings.Index(detail, mark)
	if i < 0 || len(detail) < i+len(mark)+64 {
		return ""
	}
	return detail[i+len(mark) : i+len(mark)+64]
}
