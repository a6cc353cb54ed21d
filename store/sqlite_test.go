package store_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/store"
	"github.com/revokebot/revokebot/store/storetest"
)

func openFile(t testing.TB, path string) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestSQLiteContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openFile(t, filepath.Join(t.TempDir(), "revokebot.db"))
	})
}

func TestSQLiteMemoryContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openFile(t, ":memory:") })
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ url, want string }{
		{"postgres://revokebot:hunter2@db.internal:port/revokebot", "postgres: malformed URL"},
		{"mysql://root:hunter2@db", `"mysql"`},
		{"revokebot:hunter2@db.internal", `"revokebot"`}, // looks like a scheme; the password is still not echoed
		{"hunter2", "without a recognisable scheme"},
		{"/var/lib/hunter2 secret:x", "without a recognisable scheme"},
		{"sqlite:", "empty path"},
		{"sqlite:" + filepath.Join(t.TempDir(), "missing", "x.db"), "does not exist"},
		{"sqlite:x.db?mode=ro", "may not contain '?'"},
	} {
		s, err := store.Open(ctx, c.url)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", c.url)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) = %q; want it to say %s and never the password", c.url, err, c.want)
		}
	}
}

func TestReopenKeepsDataAndRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	s, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRequest(ctx, store.Request{ID: "r1", Kind: store.KindUser}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendAudit(ctx, store.Event{Event: "requested", RequestID: "r1"}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = openFile(t, path)
	if _, err := s.Request(ctx, "r1"); err != nil {
		t.Errorf("after reopening: %v", err)
	}
	if n, err := s.VerifyAudit(ctx, nil); n.Records != 1 || err != nil {
		t.Errorf("VerifyAudit after reopening = %d, %v", n, err)
	}
	rawExec(t, path, `UPDATE schema_version SET version = 99`)
	if s, err := store.Open(ctx, "sqlite:"+path); err == nil || !strings.Contains(err.Error(), "newer") {
		if s != nil {
			s.Close()
		}
		t.Errorf("Open of a newer schema: %v, want a refusal", err)
	}
}

// TestTwoHandles is two processes (or replicas) sharing one file.
func TestTwoHandles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.db")
	handles := []store.Store{openFile(t, path), openFile(t, path)}
	if err := handles[0].CreateRequest(ctx, store.Request{ID: "r1", Kind: store.KindUser}); err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		mu    sync.Mutex
		wins  int
	)
	for i := range 50 {
		wg.Go(func() {
			<-start
			_, err := handles[i%2].Transition(ctx, "r1", store.StatePending, store.StateRunning, store.Change{DecidedBy: fmt.Sprint(i)})
			switch {
			case err == nil:
				mu.Lock()
				wins++
				mu.Unlock()
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("goroutine %d: %v", i, err)
			}
		})
	}
	for i := range 8 {
		wg.Go(func() {
			<-start
			for j := range 25 {
				if _, err := handles[i%2].AppendAudit(ctx, store.Event{Event: "started", Detail: fmt.Sprint(i, "/", j)}); err != nil {
					t.Errorf("append %d/%d: %v", i, j, err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d winners across two handles, want 1", wins)
	}
	for i, h := range handles {
		if n, err := h.VerifyAudit(ctx, nil); n.Records != 200 || err != nil {
			t.Errorf("handle %d: VerifyAudit = %d, %v; want 200, nil", i, n, err)
		}
	}
}

// TestTamper alters the file behind the store's back, as an attacker with
// the file would, and expects VerifyAudit to name the first broken record.
func TestTamper(t *testing.T) {
	for _, c := range []struct {
		name    string
		tamper  []string
		rehash  []int64 // records the attacker re-hashes after the change
		wantSeq int64
		reason  string
	}{
		{"changed field", []string{`UPDATE audit SET actor = 'U0EVIL' WHERE seq = 3`}, nil, 3, "hash does not match its content"},
		{"changed time", []string{`UPDATE audit SET time = time + 1 WHERE seq = 2`}, nil, 2, "hash does not match its content"},
		{"deleted middle", []string{`DELETE FROM audit WHERE seq = 3`}, nil, 3, "missing"},
		{"deleted first", []string{`DELETE FROM audit WHERE seq = 1`}, nil, 1, "missing"},
		{"deleted newest", []string{`DELETE FROM audit WHERE seq >= 4`}, nil, 4, "missing: the log ends at record 3 but its head says 5"},
		{"re-hashed altered record", []string{`UPDATE audit SET detail = 'nothing happened' WHERE seq = 3`}, []int64{3}, 4, "previous hash does not match the record before it"},
		{"swapped order", []string{
			`UPDATE audit SET seq = -2 WHERE seq = 2`, `UPDATE audit SET seq = 2 WHERE seq = 3`, `UPDATE audit SET seq = 3 WHERE seq = -2`,
		}, nil, 2, "previous hash does not match the record before it"},
		{"inserted middle", []string{
			`UPDATE audit SET seq = seq + 10 WHERE seq >= 4`, `UPDATE audit SET seq = seq - 9 WHERE seq >= 14`,
			`INSERT INTO audit SELECT 4, time, 'cancelled', request_id, actor, target, detail, hash, '', '', '' FROM audit WHERE seq = 3`,
		}, []int64{4}, 5, "previous hash does not match the record before it"},
		{"appended without the head", []string{
			`INSERT INTO audit SELECT 6, time, event, request_id, actor, target, detail, hash, '', '', '' FROM audit WHERE seq = 5`,
		}, []int64{6}, 6, "not in the chain head, which ends at record 5"},
		{"head removed", []string{`DELETE FROM audit_head`}, nil, 0, "the chain head is missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "t.db")
			s := openFile(t, path)
			for i := range 5 {
				if _, err := s.AppendAudit(ctx, store.Event{Time: time.Unix(1710425366, int64(i)*1000), Event: "requested",
					RequestID: "r1", Actor: "U01", Target: "alice@contoso.com", Detail: fmt.Sprint("step ", i)}); err != nil {
					t.Fatal(err)
				}
			}
			// The triggers only stop slips; an attacker drops them first.
			rawExec(t, path, append([]string{`DROP TRIGGER audit_no_update`, `DROP TRIGGER audit_no_delete`}, c.tamper...)...)
			for _, seq := range c.rehash {
				rehash(t, path, seq)
			}
			_, err := s.VerifyAudit(ctx, nil)
			var ce *store.ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("VerifyAudit = %v, want a *ChainError", err)
			}
			if ce.Seq != c.wantSeq || ce.Reason != c.reason {
				t.Errorf("VerifyAudit = %q, want record %d: %s", err, c.wantSeq, c.reason)
			}
		})
	}
}

func TestAuditIsAppendOnlyInSQL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	s := openFile(t, path)
	if _, err := s.AppendAudit(context.Background(), store.Event{Event: "requested"}); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	for _, q := range []string{`UPDATE audit SET actor = 'x'`, `DELETE FROM audit`} {
		if _, err := db.Exec(q); err == nil {
			t.Errorf("%s succeeded", q)
		}
	}
	if e := (&store.ChainError{Seq: 12, Reason: "hash does not match its content"}).Error(); e != "audit record 12: hash does not match its content" {
		t.Errorf("ChainError.Error() = %q", e)
	}
}

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func rawExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db := rawDB(t, path)
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// rehash recomputes one record's hash the way the package documents it, as
// an attacker (or an outside verifier) would from the documentation alone.
func rehash(t *testing.T, path string, seq int64) {
	t.Helper()
	db := rawDB(t, path)
	var (
		us                                            int64
		event, reqID, actor, target, detail, prevHash string
	)
	if err := db.QueryRow(`SELECT time, event, request_id, actor, target, detail, prev_hash FROM audit WHERE seq = ?`, seq).
		Scan(&us, &event, &reqID, &actor, &target, &detail, &prevHash); err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, f := range []string{"revokebot-audit-v1", strconv.FormatInt(seq, 10), time.UnixMicro(us).UTC().Format(time.RFC3339Nano),
		event, reqID, actor, target, detail, prevHash} {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(f))))
		h.Write([]byte(f))
	}
	if _, err := db.Exec(`UPDATE audit SET hash = ? WHERE seq = ?`, hex.EncodeToString(h.Sum(nil)), seq); err != nil {
		t.Fatal(err)
	}
}

func TestDocumentedHashMatches(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	s := openFile(t, path)
	r, err := s.AppendAudit(context.Background(), store.Event{Event: "requested", Actor: "U1", Detail: "x"})
	if err != nil {
		t.Fatal(err)
	}
	rawExec(t, path, `DROP TRIGGER audit_no_update`)
	rehash(t, path, r.Seq) // recomputing the true content must change nothing
	if n, err := s.VerifyAudit(context.Background(), nil); n.Records != 1 || err != nil {
		t.Errorf("after an independent re-hash: %d, %v", n, err)
	}
}

// TestOpenExisting: the read-only open used by `audit verify` neither creates
// a missing store nor writes to an existing one.
func TestOpenExisting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	missing := filepath.Join(dir, "typo.db")
	if _, err := store.OpenExisting(ctx, "sqlite:"+missing); err == nil {
		t.Fatal("opened a store that does not exist")
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatal("OpenExisting created the file")
	}
	path := filepath.Join(dir, "real.db")
	s := openFile(t, path)
	if _, err := s.AppendAudit(ctx, store.Event{Event: "requested", Actor: "U1"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	ro, err := store.OpenExisting(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if n, err := ro.VerifyAudit(ctx, nil); err != nil || n.Records != 1 {
		t.Fatalf("verify read-only: %d %v", n, err)
	}
	if _, err := ro.AppendAudit(ctx, store.Event{Event: "x", Actor: "U1"}); err == nil {
		t.Fatal("a read-only store accepted a write")
	}
	notStore := filepath.Join(dir, "other.txt")
	if err := os.WriteFile(notStore, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := store.OpenExisting(ctx, "sqlite:"+notStore); err == nil {
		t.Fatal("opened a file that is not a store")
	}
}

// TestSQLiteFilesArePrivate: the database and the files SQLite keeps beside
// it are readable and writable by the bot's user only, whatever the umask,
// and an existing store that others could read is made private on open.
func TestSQLiteFilesArePrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix permission bits")
	}
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "private.db")
	s := openFile(t, path)
	if _, err := s.AppendAudit(ctx, store.Event{Event: "requested", Actor: "U1"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("after a write: %v", err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want -rw-------", filepath.Base(p), fi.Mode().Perm())
		}
	}
	s.Close()

	// A store from before, left group and world readable.
	old := filepath.Join(dir, "old.db")
	s = openFile(t, old)
	if _, err := s.AppendAudit(ctx, store.Event{Event: "requested", Actor: "U1"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.WriteFile(old+"-wal", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{old, old + "-wal"} {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	openFile(t, old)
	for _, p := range []string{old, old + "-wal", old + "-shm"} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s after reopening: %v, %v; want -rw-------", filepath.Base(p), fi.Mode().Perm(), err)
		}
	}
}
