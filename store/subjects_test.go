package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revokebot/revokebot/store"
)

// testSubjectsUpgrade opens a schema version 2 store, made as testBulkUpgrade
// makes older ones: version 3 only adds request_subjects, so a current store
// without that table and wound back to version 2 is a version 2 store. Four
// replicas then open it at once; the migration must run once (a second
// backfill would collide on the key) and give each single-user request the
// user its target names, as a new request would store it.
func testSubjectsUpgrade(t *testing.T, url string, exec func(...string)) {
	ctx := context.Background()
	const (
		alice = "6F1C2A3B-0000-4000-8000-00000000A11C" // as a person may paste it
		bob   = "0b0b0b0b-0000-4000-8000-000000000b0b"
	)
	at := time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)
	old := []struct {
		id, target string
		kind       store.Kind
		want       []string
	}{
		{"u1", `{"user":{"id":"` + alice + `","userPrincipalName":"alice@contoso.com"}}`, store.KindUser, []string{strings.ToLower(alice)}},
		// PostgreSQL's JSON types refuse \u0000 anywhere in a document; the
		// rest of the target must not keep this row, or the store, from upgrading.
		{"u2", "{\"reason\":\"\\u0000\",\"user\":{\"id\":\"" + bob + "\"},\"x\":\"\xff\"}", store.KindUser, []string{bob}},
		{"u3", ` { "user" : { "displayName": "Alice", "id" : "` + strings.ToLower(alice) + `" } } `, store.KindUser, []string{strings.ToLower(alice)}},
		{"all", `{"all":{"eligible":3},"user":{"id":"` + bob + `"}}`, store.KindAll, nil},
		{"no-user", `{"upn":"alice@contoso.com"}`, store.KindUser, nil},
		{"number", `{"user":{"id":7}}`, store.KindUser, nil},
		{"empty-id", `{"user":{"id":""}}`, store.KindUser, nil},
		{"no-target", ``, store.KindUser, nil},
	}
	s, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range old {
		if err := s.CreateRequest(ctx, store.Request{ID: r.id, Kind: r.kind, Target: []byte(r.target),
			CreatedAt: at.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	exec(windBack(2)...)
	if ro, err := store.OpenExisting(ctx, url); err == nil || !strings.Contains(err.Error(), "schema version 2") {
		if ro != nil {
			ro.Close()
		}
		t.Fatalf("OpenExisting of a version 2 schema: %v, want a refusal", err)
	}

	var (
		wg     sync.WaitGroup
		start  = make(chan struct{})
		stores [4]store.Store
		errs   [4]error
	)
	for i := range stores {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = store.Open(ctx, url)
		})
	}
	close(start)
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Fatalf("Open %d of a version 2 schema: %v", i, errs[i])
		}
		defer s.Close()
	}
	s = stores[0]
	for _, r := range old {
		got, err := s.Request(ctx, r.id)
		if err != nil {
			t.Fatalf("the upgrade lost request %s: %v", r.id, err)
		}
		if fmt.Sprint(got.Subjects) != fmt.Sprint(r.want) || (r.want == nil) != (got.Subjects == nil) {
			t.Errorf("%s: Subjects = %q, want %q", r.id, got.Subjects, r.want)
		}
	}
	for sub, want := range map[string]string{alice: "[u3 u1]", bob: "[u2]"} {
		rs, err := s.RequestsAbout(ctx, sub, 0)
		if err != nil || fmt.Sprint(requestIDs(rs)) != want {
			t.Errorf("RequestsAbout(%s) = %v, %v; want %s", sub, requestIDs(rs), err, want)
		}
	}
	// A request made after the upgrade is found beside the backfilled ones.
	if err := s.CreateRequest(ctx, store.Request{ID: "new", Kind: store.KindUser, CreatedAt: at.Add(time.Hour),
		Subjects: []string{bob, alice}}); err != nil {
		t.Fatal(err)
	}
	if rs, err := stores[1].RequestsAbout(ctx, alice, 0); err != nil || fmt.Sprint(requestIDs(rs)) != "[new u3 u1]" {
		t.Errorf("RequestsAbout(alice) after a new request = %v, %v", requestIDs(rs), err)
	}
	ro, err := store.OpenExisting(ctx, url)
	if err != nil {
		t.Fatalf("OpenExisting after the upgrade: %v", err)
	}
	ro.Close()
}

func requestIDs(rs []store.Request) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestSubjectsUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.db")
	testSubjectsUpgrade(t, "sqlite:"+path, func(q ...string) { rawExec(t, path, q...) })
}

func TestPostgresSubjectsUpgrade(t *testing.T) {
	dsn, _ := pgSchema(t)
	testSubjectsUpgrade(t, dsn, func(q ...string) { pgExec(t, dsn, q...) })
}
