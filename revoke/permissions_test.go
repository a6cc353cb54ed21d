package revoke

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"testing"
)

// TestEntraManifestMatchesNeeds holds deploy/entra-app-manifest.json, which
// deployers create the app registration from, against Needs, which `check`
// and the code use: every permission the table names is in the manifest as
// an application permission of its resource, and the manifest asks for
// nothing else.
func TestEntraManifestMatchesNeeds(t *testing.T) {
	data, err := os.ReadFile("../deploy/entra-app-manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var manifest []struct {
		ResourceAppID  string `json:"resourceAppId"`
		ResourceAccess []struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"resourceAccess"`
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		t.Fatalf("the manifest is not the JSON az ad app create --required-resource-accesses takes: %v", err)
	}
	inManifest := map[string]bool{}
	for _, r := range manifest {
		for _, a := range r.ResourceAccess {
			if a.Type != "Role" {
				t.Errorf("%s %s: type %q, want Role (an application permission)", r.ResourceAppID, a.ID, a.Type)
			}
			key := r.ResourceAppID + " " + a.ID
			if inManifest[key] {
				t.Errorf("%s is in the manifest twice", key)
			}
			inManifest[key] = true
		}
	}
	inTable := map[string]bool{}
	guid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	for _, n := range Needs {
		if len(n.Permissions) == 0 {
			t.Errorf("%s needs no permission?", n.Feature)
		}
		for _, p := range n.Permissions {
			if !guid.MatchString(p.ID) || (p.Resource != GraphAppID && p.Resource != SharePointAppID && p.Resource != ExchangeAppID) {
				t.Errorf("%s: malformed ID %q or resource %q", p.Name, p.ID, p.Resource)
			}
			key := p.Resource + " " + p.ID
			inTable[key] = true
			if !inManifest[key] {
				t.Errorf("%s needs %s, which the manifest lacks", n.Feature, p)
			}
		}
	}
	for key := range inManifest {
		if !inTable[key] {
			t.Errorf("the manifest asks for %s, which no feature in Needs uses", key)
		}
	}
}

// TestNeedsCoverEveryAction: each action has its row, and its Permission
// is that row's.
func TestNeedsCoverEveryAction(t *testing.T) {
	for _, a := range Order {
		if a == ActionSlack {
			continue // Slack's own token: nothing from Entra
		}
		n, ok := NeedOf(string(a))
		if !ok || a.Permission() != n.Permissions[0].Name {
			t.Errorf("%s: row %v, Permission %q", a, n, a.Permission())
		}
	}
	ids := map[string]string{}
	for _, n := range Needs {
		for _, p := range n.Permissions {
			if other, dup := ids[p.ID]; dup && other != p.Name {
				t.Errorf("%s and %s share the ID %s", p.Name, other, p.ID)
			}
			ids[p.ID] = p.Name
		}
	}
	if p, ok := GraphPermission("user.revokesessions.all"); !ok || p != PermRevokeSessions {
		t.Errorf("GraphPermission = %v %v", p, ok)
	}
	if _, ok := GraphPermission("Sites.FullControl.All"); ok {
		t.Error("SharePoint's permission is not a Graph one")
	}
	if !slices.Contains(Needs[0].Permissions, PermUserRead) {
		t.Error("resolving comes first and needs User.Read.All")
	}
}
