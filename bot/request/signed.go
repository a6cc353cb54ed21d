package request

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/revokebot/revokebot/signing"
	"github.com/revokebot/revokebot/store"
)

// The bot acts only on what it signed. A request's statement (what it will
// do, to whom, who asked) is signed when it is created; the decision that
// lets it run (the requester's confirm, or the approval that completed the
// quorum) and every approval are signed when they are written. Before any
// Graph call the bot checks them with its key, which the database does not
// hold: a row changed, a state moved or an approval added behind its back
// is refused and recorded as tampered.

// statement is what a request's signature covers: its ID, kind and
// requester, the users it hits by object ID, the actions, whether it needs
// approval or is a release, and until when it may be decided.
func statement(r store.Request) []byte {
	t := targetsOf(r)
	// Each user by object ID and by the addresses the actions act on
	// (Exchange, SharePoint and Slack take the UPN or mail) and the checks
	// compare against (the self-release check takes proxy addresses too).
	ids := make([]string, len(t.Users))
	for i, u := range t.Users {
		ids[i] = strings.ToLower(strings.Join(append([]string{u.ID, u.UPN, u.Mail}, u.ProxyAddresses...), " "))
	}
	actions := make([]string, len(t.Actions))
	for i, a := range t.Actions {
		actions[i] = string(a)
	}
	fields := []string{r.ID, string(r.Kind), r.Requester, r.Channel,
		flag(r.NeedsApproval), flag(t.Release), flag(t.All != nil), strings.Join(ids, ","), strings.Join(actions, ","),
		stamp(r.ExpiresAt)}
	if a := t.Alert; a != nil {
		// An alert card's detection: who may confirm it, and the
		// incident its outcome is written back to, rest on it.
		fields = append(fields, "alert", a.Key, a.Source, a.ID)
	}
	return signing.Digest("revokebot-request-v2", fields...)
}

func flag(b bool) string { return map[bool]string{true: "1", false: "0"}[b] }

// stamp is a time as the store keeps it, so the digest made before the
// write is the one made from the row read back.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
}

// runMessage is what the decision that lets a request run covers: the
// request's statement and who decided.
func runMessage(r store.Request, by string) []byte {
	return signing.Digest("revokebot-run-v1", r.ID, hex.EncodeToString(statement(r)), by)
}

// approvalMessage is what one approval's signature covers.
func approvalMessage(r store.Request, by string) []byte {
	return signing.Digest("revokebot-approval-v1", r.ID, hex.EncodeToString(statement(r)), by)
}

// RunSignature is the signature by key k of the decision by `by` to run r,
// as the bot writes it with the move to running: what a crash between that
// move and Graph's answer leaves in the store, for the tests of recovery.
func RunSignature(k signing.Key, r store.Request, by string) string { return k.Sign(runMessage(r, by)) }

// signRequest signs a new request's statement.
func (b *env) signRequest(r *store.Request) { r.Sig = b.cfg.Key.Sign(statement(*r)) }

// signRun signs the decision by `by` to run r, and (for an approval) the
// approval itself.
func (b *env) signRun(r store.Request, by string) (run, approval string) {
	return b.cfg.Key.Sign(runMessage(r, by)), b.cfg.Key.Sign(approvalMessage(r, by))
}

// forgedStatement says why r is not a request the bot signed; "" when it is.
func (b *env) forgedStatement(r store.Request) string {
	if err := b.ring.Check(statement(r), b.cfg.Key.ID(), r.Sig); err != nil {
		return fmt.Sprintf("the request is not the one revokebot signed (%v): its targets, actions, requester or deadline were changed, or it was written without revokebot", err)
	}
	return ""
}

// forged says why running request r must not act; "" when its statement,
// the decision that let it run and, where it needs them, the policy's
// quorum of approvals by people other than the requester are all signed by
// the bot. A store that cannot be read is no proof, and is said so.
func (b *env) forged(ctx context.Context, r store.Request) string {
	if why := b.forgedStatement(r); why != "" {
		return why
	}
	if err := b.ring.Check(runMessage(r, r.DecidedBy), b.cfg.Key.ID(), r.DecisionSig); err != nil {
		return fmt.Sprintf("no decision signed by revokebot let it run (%v): its state was moved in the database", err)
	}
	if !r.NeedsApproval {
		return ""
	}
	as, err := b.store.Approvals(ctx, r.ID)
	if err != nil {
		return "its approvals could not be read to check them (" + storeErr(err).Error() + ")"
	}
	return b.unapproved(r, as)
}

// unapproved says why approvals as do not let r run; "" when the policy's
// quorum of them are signed approvals by people other than the requester.
func (b *env) unapproved(r store.Request, as []store.Approval) string {
	need, valid, bad := b.policy.Quorum(), 0, []string{}
	seen := map[string]bool{}
	for _, a := range as {
		switch {
		case seen[a.Approver]:
			continue // counted once, whatever the rows say
		case a.Approver == r.Requester:
			bad = append(bad, "<@"+Escape(a.Approver)+"> (the requester)")
		case b.ring.Check(approvalMessage(r, a.Approver), b.cfg.Key.ID(), a.Sig) != nil:
			bad = append(bad, "<@"+Escape(a.Approver)+">")
		default:
			valid++
		}
		seen[a.Approver] = true
	}
	if valid >= need {
		return ""
	}
	why := fmt.Sprintf("it has %d approvals signed by revokebot and the policy needs %d", valid, need)
	if len(bad) > 0 {
		why += "; approvals revokebot did not sign: " + strings.Join(bad, ", ")
	}
	return why
}

// tampered records that request r was refused because its record is not
// what the bot signed, tells the thread and the audit channel, and ends it
// as failed when it is pending or running, so that no later click, sweep
// or replica takes it up again.
func (b *teller) tampered(ctx context.Context, r store.Request, when, why string) {
	b.m.Revocation("tampered")
	b.log.Error("refused to act on a request whose record revokebot did not sign", "request_id", r.ID, "when", when, "reason", why)
	detail := fmt.Sprintf("revokebot refused to act on this request %s: %s. Nothing was run. Whoever can write revokebot's database changed it; check the database's access and `revokebot audit verify`.", when, why)
	if r.State == store.StatePending || r.State == store.StateRunning {
		if _, err := b.decide(ctx, r, store.StateFailed, store.Change{Detail: "Refused: its record was changed outside revokebot."}, EvTampered, systemActor, detail); err == nil {
			return
		}
	}
	b.auditOrSay(ctx, r, EvTampered, systemActor, detail)
}

// keyRequestID files the record announcing a signing key, so that a start
// finds whether its key was announced with one indexed read.
func keyRequestID(id string) string { return "key:" + id }

// announceKey records, once per key, the key the bot signs with, which the
// outbox posts to the audit channel: the public keys an auditor needs to
// check old records after a rotation are all in the channel.
func (b *teller) announceKey(ctx context.Context) {
	id := keyRequestID(b.cfg.Key.ID())
	trail, err := b.store.AuditTrail(ctx, id)
	if err != nil {
		b.log.Warn("could not check whether the signing key was announced", "error", err)
		return
	}
	for _, rec := range trail {
		if b.unsignedRecord(rec) == "" {
			return // announced, by revokebot itself
		}
	}
	e := store.Event{Time: b.now().UTC(), Event: string(EvKey), RequestID: id, Actor: systemActor,
		Detail: fmt.Sprintf("revokebot signs its decisions and this audit log with key `%s` (public key `%s`); `revokebot audit verify --public-key %s` checks them.",
			b.cfg.Key.ID(), b.cfg.Key.Public(), b.cfg.Key.Public())}
	_, _ = b.append(ctx, e, b.tells(nil, false, false))
}

// unsignedRecord says why the outbox must not post record r, "" when r is
// signed by the bot: a record appended in the database with its messages
// must not become a line the bot itself posts.
func (b *env) unsignedRecord(r store.Record) string {
	if err := store.CheckRecord(r, b.ring); err != nil {
		return err.Error()
	}
	return ""
}

// forgedWatch says why a sign-in watch must not go on: its request is not
// one the bot signed and ran, or it watches a user the request does not name.
func (b *env) forgedWatch(ctx context.Context, r store.Request, st watchState) string {
	if why := b.forged(ctx, r); why != "" {
		return why
	}
	named := map[string]bool{}
	for _, u := range targetsOf(r).Users {
		named[strings.ToLower(u.ID)] = true
	}
	for _, u := range st.Users {
		if !named[strings.ToLower(u.ID)] {
			return "its watch names a user the request does not: the watch was changed in the database"
		}
	}
	return ""
}

// refuseUnsigned records, instead of posting it, an audit record the bot
// did not sign that its outbox was asked to post.
func (d *deliverer) refuseUnsigned(ctx context.Context, r store.Record, why string) {
	d.log.Error("refused to post an audit record revokebot did not sign", "seq", r.Seq, "reason", why)
	e := store.Event{Time: d.now().UTC(), Event: string(EvTampered), RequestID: r.RequestID, Actor: systemActor,
		Detail: fmt.Sprintf("revokebot refused to post audit record #%d: %s. It was written into the database by someone without revokebot's key; `revokebot audit verify` names it.", r.Seq, why)}
	ctx, cancel := recordContext(ctx)
	defer cancel()
	_, _ = d.store.AppendAudit(ctx, e, d.tell.tells(nil, false, false)...)
}
