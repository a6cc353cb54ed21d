package store_test

import (
	"fmt"
	"path/filepath"
	"testing"
)

// undo[v] removes what schema version v made, for the upgrade tests that
// wind a store back to an older version. outbox_head is PostgreSQL's only.
// A new schema version adds its line here.
var undo = map[int][]string{
	2: {`DROP TABLE bulk_users`, `DROP TABLE bulk_jobs`},
	3: {`DROP TABLE request_subjects`},
	4: {`DROP TABLE tasks`, `DROP TABLE outbox`, `DROP TABLE IF EXISTS outbox_head`},
	5: {`DROP TABLE approvals`},
	6: {`ALTER TABLE audit DROP COLUMN key_id`, `ALTER TABLE audit DROP COLUMN sig`,
		`ALTER TABLE requests DROP COLUMN sig`, `ALTER TABLE requests DROP COLUMN decision_sig`,
		`ALTER TABLE approvals DROP COLUMN sig`},
}

// windBack is what takes a current store back to schema version v: the
// undoing of every later version, newest first, and the version itself.
func windBack(v int) []string {
	var out []string
	for w := len(undo) + 1; w > v; w-- {
		out = append(out, undo[w]...)
	}
	return append(out, fmt.Sprintf(`UPDATE schema_version SET version = %d`, v))
}

// TestWindBackKnowsEveryVersion: a schema version without its undo line
// would leave its tables behind, and the upgrade tests would then test an
// upgrade onto tables that already exist.
func TestWindBackKnowsEveryVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.db")
	openFile(t, path)
	var v int
	if err := rawDB(t, path).QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != len(undo)+1 {
		t.Errorf("schema version %d, undo knows versions 2 to %d", v, len(undo)+1)
	}
}
