package main

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
)

const globalAdmin = "62e90394-69f5-4237-9190-012177145e10"

// synth is the object ID bulkTenant gives user i.
func synth(i int) string { return fmt.Sprintf("b0000000-0000-4000-8000-%012d", i) }

// revocationOrder is the order in which users' sessions reached Graph.
func revocationOrder(g *fakegraph.Server) []string {
	var out []string
	for _, r := range g.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/revokeSignInSessions") {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(r.Path, "/v1.0/users/"), "/revokeSignInSessions"))
		}
	}
	return out
}

// TestRevokeAllPrivilegedFirst: holders of directory roles deep in the
// listing (directly, through a group, PIM-eligible) are revoked before
// the first other user, each once; a service principal is skipped, a
// protected role holder stays excluded, and the card and thread say so.
func TestRevokeAllPrivilegedFirst(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withPolicy(allPolicy(300, "1s")))
	bulkTenant(e.sb.Graph, 300)
	g := e.sb.Graph
	g.AddGroups(fakegraph.Group{ID: "9a000000-0000-4000-8000-000000000001", DisplayName: "Helpdesk admins"})
	g.AddGroupMembers("9a000000-0000-4000-8000-000000000001", synth(250), synth(260))
	g.AddServicePrincipals(fakegraph.ServicePrincipal{ID: "5b000000-0000-4000-8000-000000000001", DisplayName: "Automation"})
	g.AddRoleAssignments(
		fakegraph.RoleAssignment{RoleDefinitionID: globalAdmin, PrincipalID: synth(290)},
		fakegraph.RoleAssignment{RoleDefinitionID: globalAdmin, PrincipalID: "9a000000-0000-4000-8000-000000000001"},
		fakegraph.RoleAssignment{RoleDefinitionID: globalAdmin, PrincipalID: "5b000000-0000-4000-8000-000000000001"},
		fakegraph.RoleAssignment{RoleDefinitionID: globalAdmin, PrincipalID: ceoID},
	)
	g.AddRoleEligibilities(fakegraph.RoleAssignment{RoleDefinitionID: globalAdmin, PrincipalID: synth(280)})
	holders := map[string]bool{synth(290): true, synth(250): true, synth(260): true, synth(280): true}

	card := e.request(uRequester, "all")
	if b := blocksOf(e.current(card)); !strings.Contains(b, "4 accounts holding directory roles") || !strings.Contains(b, "1 protected account holding roles") {
		t.Errorf("the card does not say who goes first:\n%s", b)
	}
	id := e.requestID(card)
	e.click(uApprover, card, "revoke_approve")
	e.waitWithin(60*time.Second, "the job's end", func(*fakeslack.Server) bool { return strings.Contains(e.thread(card), "Finished in") })
	order := revocationOrder(g)
	for i, u := range order {
		if i < len(holders) != holders[u] {
			t.Fatalf("revocation %d was %s; the role holders are not all first: %v", i, u, order[:min(len(order), 8)])
		}
	}
	seen := map[string]int{}
	for _, u := range order {
		seen[u]++
	}
	for u := range holders {
		if seen[u] != 1 {
			t.Errorf("role holder %s revoked %d times", u, seen[u])
		}
	}
	if seen[ceoID] != 0 {
		t.Error("a protected role holder was revoked")
	}
	if th := e.thread(card); !strings.Contains(th, "Revoking the 4 privileged accounts holding directory roles first") {
		t.Errorf("the thread does not say who went first:\n%s", th)
	}
	e.waitAudit(id, "privileged")
}

// TestRevokeAllWithoutRoleManagementRead: without the permission to read
// role assignments the job runs in listing order, and says why.
func TestRevokeAllWithoutRoleManagementRead(t *testing.T) {
	t.Parallel()
	e := startEnv(t, withPolicy(allPolicy(3000, "1s")))
	bulkTenant(e.sb.Graph, 100)
	e.sb.Graph.Inject(fakegraph.Fault{Method: "GET", PathSuffix: "/roleManagement/directory/roleAssignments", Status: 403, Code: "Authorization_RequestDenied"})
	card := e.request(uRequester, "all")
	if b := blocksOf(e.current(card)); !strings.Contains(b, "role holders are looked up when the job starts") {
		t.Errorf("card:\n%s", b)
	}
	e.click(uApprover, card, "revoke_approve")
	e.waitWithin(60*time.Second, "the job's end", func(*fakeslack.Server) bool { return strings.Contains(e.thread(card), "Finished in") })
	if th := e.thread(card); !strings.Contains(th, "RoleManagement.Read.Directory") || !strings.Contains(th, "listing order") {
		t.Errorf("the thread does not say why privileged accounts were not first:\n%s", th)
	}
}

// TestRevokeAllPrivilegedPhaseSurvivesAKill: a replica killed in the
// middle of the privileged phase; the next one resumes from the checkpoint,
// and still no other user is revoked before every role holder.
func TestRevokeAllPrivilegedPhaseSurvivesAKill(t *testing.T) {
	t.Parallel()
	tune := func(c *botConfig) { c.Bulk.ProgressEvery = 100 * time.Millisecond }
	e := startEnv(t, withPolicy(allPolicy(20, "1s")), withTune(tune))
	eligible, _ := bulkTenant(e.sb.Graph, 200)
	holders := map[string]bool{}
	for i := 0; len(holders) < 30; i += 5 {
		u := eligible[len(eligible)-1-i] // from the end of the listing
		holders[u] = true
		e.sb.Graph.AddRoleAssignments(fakegraph.RoleAssignment{RoleDefinitionID: globalAdmin, PrincipalID: u})
	}
	child, _ := startChild(t, e)
	card := e.request(uRequester, "all")
	id := e.requestID(card)
	e.click(uApprover, card, "revoke_approve")
	e.waitWithin(30*time.Second, "the child in its privileged phase", func(*fakeslack.Server) bool { return e.sb.Graph.TotalRevocations() >= 10 })
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	if n := e.sb.Graph.TotalRevocations(); n >= len(holders) {
		t.Fatalf("the privileged phase was over (%d revocations) before the kill", n)
	}
	e.waitFor("the killed bot's connection to close", func(s *fakeslack.Server) bool { return s.OpenConnections() == 0 })
	e.clock.Advance(2 * time.Minute) // past the dead replica's lease
	e.start(tune)
	e.waitAudit(id, "resumed")
	e.waitWithin(90*time.Second, "the job's end", func(*fakeslack.Server) bool { return strings.Contains(e.thread(card), "Finished in") })
	firstOther := -1
	lastHolder := -1
	seen := map[string]bool{}
	for i, u := range revocationOrder(e.sb.Graph) {
		if seen[u] {
			continue
		}
		seen[u] = true
		if holders[u] {
			lastHolder = i
		} else if firstOther < 0 {
			firstOther = i
		}
	}
	if firstOther >= 0 && lastHolder > firstOther {
		t.Errorf("after the resume a user was revoked (position %d) before the last role holder (%d)", firstOther, lastHolder)
	}
	for u := range holders {
		if !seen[u] {
			t.Errorf("role holder %s never revoked", u)
		}
	}
}
