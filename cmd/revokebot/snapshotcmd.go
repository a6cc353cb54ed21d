package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/revokebot/revokebot/bot/request"
	"github.com/revokebot/revokebot/store"
)

// auditSnapshot runs `audit snapshot <request-id>`: it prints the request's
// evidence snapshot and holds it against the SHA-256 its `snapshot` audit
// records sealed: exit 0 when it matches, 1 when it does not (or the store
// cannot be read), 2 when the request has no snapshot. A complete
// snapshot must match the last seal; one whose log part is still being
// read, the seal of its first part; a complete one whose logs were read
// twice (a lease taken over), either reading's seal.
func auditSnapshot(ctx context.Context, getenv func(string) string, id string, stdout, stderr io.Writer) int {
	st, code := openExistingStore(ctx, getenv, stderr)
	if st == nil {
		return code
	}
	defer st.Close()
	task, err := st.Task(ctx, request.SnapshotID(id))
	switch {
	case errors.Is(err, store.ErrNotFound):
		fmt.Fprintf(stderr, "revokebot: request %q has no evidence snapshot\n", id)
		return 2
	case err != nil:
		fmt.Fprintln(stderr, "revokebot: read the snapshot:", err)
		return 1
	}
	trail, err := st.AuditTrail(ctx, id)
	if err != nil {
		fmt.Fprintln(stderr, "revokebot: read the audit trail:", err)
		return 1
	}
	var seals []string
	for _, r := range trail {
		if d := request.SnapshotDigest(r.Detail); r.Event.Event == string(request.EvSnapshot) && d != "" {
			seals = append(seals, d)
		}
	}
	stdout.Write(task.State)
	fmt.Fprintln(stdout)
	sum := sha256.Sum256(task.State)
	got := hex.EncodeToString(sum[:])
	switch {
	case len(seals) == 0:
		fmt.Fprintf(stderr, "revokebot: no snapshot record seals it: the snapshot of %s cannot be trusted\n", id)
		return 1
	case got == seals[len(seals)-1]:
	case !task.Done && slices.Contains(seals, got):
		fmt.Fprintf(stderr, "revokebot: its sign-ins and directory events are still being read; this is the part sealed before the actions\n")
	case slices.Contains(seals, got) && logsOf(task.State) == "read":
		// Two replicas may each have read the logs and sealed what they
		// read (a lease taken over); the one kept is one revokebot sealed.
		fmt.Fprintf(stderr, "revokebot: it matches an earlier seal than the last: the logs were read twice, and this reading was kept\n")
	default:
		fmt.Fprintf(stderr, "revokebot: the snapshot of %s was CHANGED: its sha256 is %s, the audit record sealed %s\n", id, got, seals[len(seals)-1])
		return 1
	}
	fmt.Fprintf(stderr, "revokebot: the snapshot of %s matches its seal (sha256 %s); `revokebot audit verify` checks the record's signature\n", id, got)
	return 0
}

// logsOf is the state of a snapshot document's log part ("" when unreadable).
func logsOf(raw []byte) string {
	var doc struct {
		Logs string `json:"logs"`
	}
	_ = json.Unmarshal(raw, &doc)
	return doc.Logs
}
