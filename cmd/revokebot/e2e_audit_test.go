package main

import (
	"bytes"
	"context"
	"database/sql"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// TestAuditVerifySubcommand: `revokebot audit verify` passes on the log a
// real flow wrote, and fails with exit 1 once a record is altered or deleted.
func TestAuditVerifySubcommand(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, "alice")
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "readback")
	e.waitThread(card, "Evidence snapshot of 1 user completed")
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	verify := func() (int, string) {
		var out, errs bytes.Buffer
		code := run(context.Background(), []string{"audit", "verify"}, e.sb.getenv, &out, &errs)
		return code, out.String() + errs.String()
	}
	// Eight records: the key's announcement, then the request's seven.
	if code, out := verify(); code != 0 || !strings.Contains(out, "audit log intact: 8 records") || !strings.Contains(out, "head #8 ") ||
		!strings.Contains(out, "every record signed by key") {
		t.Fatalf("intact log: exit %d, %q", code, out)
	}

	db, err := sql.Open("sqlite", strings.TrimPrefix(e.sb.Env["REVOKEBOT_STORE"], "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// An attacker with the file drops the append-only guards first.
	exec(`DROP TRIGGER audit_no_update`)
	exec(`DROP TRIGGER audit_no_delete`)

	exec(`UPDATE audit SET actor = 'U0SOMEONEELSE' WHERE event = 'confirmed'`)
	if code, out := verify(); code != 1 || !strings.Contains(out, "BROKEN") {
		t.Fatalf("altered record: exit %d, %q", code, out)
	}
	exec(`UPDATE audit SET actor = '` + uRequester + `' WHERE event = 'confirmed'`)
	if code, _ := verify(); code != 0 {
		t.Fatal("restoring the field should restore the chain")
	}
	exec(`DELETE FROM audit WHERE event = 'started'`)
	if code, out := verify(); code != 1 || !strings.Contains(out, "BROKEN") {
		t.Fatalf("deleted record: exit %d, %q", code, out)
	}
}
