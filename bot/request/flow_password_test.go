package request

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/revokebot/revokebot/revoke"
)

// passwords remembers what it was asked to set, so a test can look for it
// everywhere it must not be.
type passwords struct {
	mu   sync.Mutex
	got  map[string]string
	errs map[string]error
	at   revoke.Result
}

func (p *passwords) ResetPassword(_ context.Context, userID, password string) (revoke.Result, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got[userID] = password
	if err := p.errs[userID]; err != nil {
		return revoke.Result{}, err
	}
	return p.at, nil
}

// TestFlowResetPassword: --reset-password runs after disable and before
// sessions, each user gets their own random password, the thread says how
// the user gets back in, each refusal has its own words, and no password
// reaches a message, the audit log, the store's files or the log.
func TestFlowResetPassword(t *testing.T) {
	t.Parallel()
	pw := &passwords{got: map[string]string{}, errs: map[string]error{
		carol.ID: &revoke.Error{Kind: revoke.KindFederated, Op: "reset the password", Status: 400},
	}}
	var logs bytes.Buffer
	f := newFlow(t, func(c *Config) {
		c.Passwords = pw
		c.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	f.command(uReq, chInc, "alice carol@contoso.com --reset-password --disable")
	r := f.newest()
	f.deliver()
	if card := f.msg.everything(); !strings.Contains(card, "Reset the password to a random one nobody sees") {
		t.Fatalf("card:\n%s", card)
	}
	f.click(uReq, ActionConfirm, r)
	f.deliver()
	th := f.msg.text(chInc)
	for _, want := range []string{"Password reset to a random one nobody has seen", "self-service password reset or the help desk",
		"federated", "reset it there"} {
		if !strings.Contains(th, want) {
			t.Errorf("thread lacks %q:\n%s", want, th)
		}
	}
	if len(pw.got) != 2 || pw.got[alice.ID] == pw.got[carol.ID] || len(pw.got[alice.ID]) != revoke.PasswordLength {
		t.Fatalf("passwords set: %d, distinct %v", len(pw.got), pw.got[alice.ID] != pw.got[carol.ID])
	}
	if got := f.disable.count(); got != 2 {
		t.Errorf("disabled %d", got)
	}

	var everywhere strings.Builder
	everywhere.WriteString(f.msg.everything() + logs.String())
	trail, err := f.st.AuditTrail(f.ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range trail {
		everywhere.WriteString(rec.Detail + rec.Target)
	}
	files, _ := filepath.Glob(f.dbPath + "*")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		everywhere.Write(b)
	}
	for user, p := range pw.got {
		if strings.Contains(everywhere.String(), p) {
			t.Errorf("the password set for %s is in a message, the audit log, the store or the log", user)
		}
	}
}
