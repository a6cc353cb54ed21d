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
// and sealed by a `snapshot` audit record carrying its SHA-256, so that
// `revokebot audit snapshot` can show it and tell whether it was changed.
//
// This first version is made, at the click, of what the card read before
// it was posted (nothing is read again, so the actions wait for nothing):
// the profile, authentication methods, consents, inbox rules (hidden ones
// too), mailbox forwarding and protocols, the Slack account and the recent
// security changes, as far as the request's actions listed them; a part
// not read says why. The sign-ins and directory events read after the
// actions, under Graph's budget, are to come.

// SnapshotSchema versions the document; docs/audit.md describes it.
const SnapshotSchema = "revokebot-snapshot/1"

// snapshotKind is the store task that keeps a request's snapshot.
const snapshotKind = "snapshot"

// SnapshotID is the store task that holds request id's snapshot.
func SnapshotID(requestID string) string { return "snapshot:" + requestID }

type snapshot struct {
	Schema    string         `json:"schema"`
	RequestID string         `json:"request_id"`
	TakenAt   time.Time      `json:"taken_at"`
	Users     []userSnapshot `json:"users"`
}

type userSnapshot struct {
	ID             string                  `json:"id"`
	UPN            string                  `json:"upn"`
	DisplayName    string                  `json:"display_name"`
	UserType       string                  `json:"user_type"`
	AccountEnabled bool                    `json:"account_enabled"`
	Methods        []revoke.Method         `json:"methods,omitempty"` // phone numbers masked, as on the card
	Grants         []revoke.Grant          `json:"consents,omitempty"`
	Rules          []revoke.Rule           `json:"inbox_rules,omitempty"` // those that forward, redirect or delete
	HiddenRules    []revoke.Rule           `json:"hidden_inbox_rules,omitempty"`
	Forwarding     *revoke.Forwarding      `json:"forwarding,omitempty"`
	ProtocolsOn    []revoke.Protocol       `json:"protocols_on,omitempty"`
	SlackAccount   string                  `json:"slack_account,omitempty"`
	RecentChanges  []revoke.DirectoryEvent `json:"recent_changes,omitempty"`
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

// takeSnapshot makes the snapshot of request req from what its card read.
func takeSnapshot(req store.Request, t requestTarget, at time.Time) snapshot {
	s := snapshot{Schema: SnapshotSchema, RequestID: req.ID, TakenAt: at.UTC()}
	for _, u := range t.Users {
		l := t.Listed[u.ID]
		left := map[string]int{}
		us := userSnapshot{ID: u.ID, UPN: u.UPN, DisplayName: u.DisplayName, UserType: u.UserType, AccountEnabled: u.AccountEnabled,
			Methods: bounded(l.Methods, "methods", left), Grants: bounded(l.Grants, "consents", left),
			Rules: bounded(l.Rules, "inbox_rules", left), HiddenRules: bounded(l.Hidden, "hidden_inbox_rules", left),
			Forwarding: l.Forwarding, ProtocolsOn: l.ProtocolsOn, SlackAccount: l.ChatUser, RecentChanges: l.Changes,
			NotRead: map[string]string{}}
		if len(left) > 0 {
			us.Left = left
		}
		for part, why := range map[string]string{"methods": l.MethodsError, "consents": l.GrantsError, "inbox_rules": l.RulesError,
			"hidden_inbox_rules": l.HiddenError, "forwarding": l.ForwardingError, "protocols": l.ProtocolsError,
			"slack_account": l.ChatError, "recent_changes": l.ChangesError} {
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

// sealSnapshot keeps the snapshot of req and seals it with a `snapshot`
// audit record carrying its SHA-256, then attaches it to the thread. A
// snapshot that cannot be kept is said in the thread; the actions go on.
func (b *executor) sealSnapshot(ctx context.Context, req store.Request, t requestTarget) {
	raw, err := json.MarshalIndent(takeSnapshot(req, t, b.now()), "", "  ")
	if err != nil {
		return
	}
	sum := sha256.Sum256(raw)
	digest := hex.EncodeToString(sum[:])
	rctx, cancel := recordContext(ctx)
	defer cancel()
	if err := b.store.CreateTask(rctx, store.Task{ID: SnapshotID(req.ID), Kind: snapshotKind, RequestID: req.ID, State: raw, Done: true, CreatedAt: b.now()}); err != nil {
		b.log.Error("could not keep the evidence snapshot", "request_id", req.ID, "error", err)
		b.tell.auditOrSay(ctx, req, EvSnapshot, systemActor, "The evidence snapshot could not be kept: "+describe(err))
		return
	}
	if _, err := b.tell.audit(ctx, req, EvSnapshot, systemActor, fmt.Sprintf(
		"Evidence snapshot of %s before the actions sealed: sha256 `%s` (`revokebot audit snapshot %s` prints it).",
		plural(len(t.Users), "user"), digest, Escape(req.ID))); err != nil {
		return
	}
	if req.RootTS == "" {
		return
	}
	// The file goes beside the actions, not before them: Slack's upload
	// takes seconds, and the seal above is what the evidence rests on.
	attach := func(ctx context.Context) {
		ctx, cancel := recordContext(ctx)
		defer cancel()
		if err := b.msg.Upload(ctx, req.Channel, req.RootTS, File{Name: "snapshot-" + req.ID + ".json",
			Title: "Evidence before the actions, " + req.ID, Body: bytes.NewReader(raw), Size: len(raw)}); err != nil {
			b.log.Warn("could not attach the evidence snapshot", "request_id", req.ID, "error", err)
		}
	}
	if !b.runs.start("snapshot:"+req.ID, attach) {
		attach(ctx) // no background work here (tests): attach in line
	}
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
