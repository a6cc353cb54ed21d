package graph

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/revoke"
)

func TestEnableUser(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{})
	ctx := context.Background()
	if _, err := c.DisableUser(ctx, aliceID); err != nil {
		t.Fatal(err)
	}
	res, err := c.EnableUser(ctx, aliceID)
	if err != nil || res.At.IsZero() {
		t.Fatalf("%+v %v", res, err)
	}
	if u, _ := g.User(aliceID); !u.AccountEnabled {
		t.Error("still disabled")
	}
	log := g.Requests()
	var body map[string]any
	if last := log[len(log)-1]; last.Method != "PATCH" || json.Unmarshal(last.Body, &body) != nil {
		t.Fatalf("request %s %s", last.Method, last.Body)
	}
	delete(body, "@odata.type")
	if len(body) != 1 || body["accountEnabled"] != true {
		t.Errorf("body %v", body)
	}
	_, err = c.EnableUser(ctx, syncID)
	wantError(t, err, revoke.KindSynced, "enable sign-in", "User.EnableDisableAccount.All")
	_, err = c.EnableUser(ctx, nobodyID)
	wantError(t, err, revoke.KindNotFound, "enable sign-in", "User.EnableDisableAccount.All")
	_, err = c.EnableUser(ctx, "")
	wantError(t, err, revoke.KindBadRequest, "enable sign-in", "User.EnableDisableAccount.All")
}

// TestDismissRisk also checks the pacing it shares with confirmCompromised:
// the fake refuses a second call within its window, and the client's
// retries give up on a Retry-After that long, so an unpaced call fails.
func TestDismissRisk(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{})
	ctx := context.Background()
	if _, err := c.ConfirmCompromised(ctx, aliceID); err != nil {
		t.Fatal(err)
	}
	if level, state, err := c.UserRisk(ctx, aliceID); err != nil || level != "high" || state != "confirmedCompromised" {
		t.Fatalf("after confirm: %s %s %v", level, state, err)
	}
	res, err := c.DismissRisk(ctx, aliceID)
	if err != nil || res.At.IsZero() {
		t.Fatalf("dismiss: %+v %v", res, err)
	}
	if level, state, _ := g.Risk(aliceID); level != "none" || state != "dismissed" {
		t.Errorf("fake: %s %s", level, state)
	}
	for _, r := range g.Requests() {
		if r.Status != 204 && r.Status != 200 {
			t.Errorf("%s %s answered %d", r.Method, r.Path, r.Status)
		}
		if r.Path == "/v1.0/identityProtection/riskyUsers/dismiss" && string(r.Body) != `{"userIds":["`+aliceID+`"]}` {
			t.Errorf("body %s", r.Body)
		}
	}
	_, err = c.DismissRisk(ctx, nobodyID)
	wantError(t, err, revoke.KindBadRequest, "dismiss risk", "IdentityRiskyUser.ReadWrite.All")
	g.Inject(fakegraph.Fault{PathSuffix: "/dismiss", Status: 403})
	_, err = c.DismissRisk(ctx, aliceID)
	wantError(t, err, revoke.KindForbidden, "dismiss risk", "IdentityRiskyUser.ReadWrite.All")
}

func TestUserRisk(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{})
	ctx := context.Background()
	// Never at risk: Identity Protection does not know the user.
	if level, state, err := c.UserRisk(ctx, aliceID); err != nil || level != "none" || state != "" {
		t.Errorf("never at risk: %q %q %v", level, state, err)
	}
	g.SetRisk(aliceID, "medium")
	if level, state, err := c.UserRisk(ctx, aliceID); err != nil || level != "medium" || state != "atRisk" {
		t.Errorf("at risk: %q %q %v", level, state, err)
	}
	if r := g.Requests()[1]; r.Method != "GET" || r.Path != "/v1.0/identityProtection/riskyUsers/"+aliceID {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	g.Inject(fakegraph.Fault{PathSuffix: "/riskyUsers/" + aliceID, Status: 403})
	_, _, err := c.UserRisk(ctx, aliceID)
	wantError(t, err, revoke.KindForbidden, "read user risk", "IdentityRiskyUser.Read.All")
}

func TestRiskWithoutP2(t *testing.T) {
	g, c := containFake(t, fakegraph.Options{NoP2: true})
	ctx := context.Background()
	g.SetRisk(aliceID, "high")
	_, err := c.DismissRisk(ctx, aliceID)
	if e := wantError(t, err, revoke.KindUnlicensed, "dismiss risk", "IdentityRiskyUser.ReadWrite.All"); e.Status != 403 || e.Attempts != 1 {
		t.Errorf("status %d after %d attempts", e.Status, e.Attempts)
	}
	_, _, err = c.UserRisk(ctx, aliceID)
	wantError(t, err, revoke.KindUnlicensed, "read user risk", "IdentityRiskyUser.Read.All")
	if level, state, _ := g.Risk(aliceID); level != "high" || state != "atRisk" {
		t.Errorf("changed: %s %s", level, state)
	}
}
