package fakegraph

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

const membersPath = "/groups/%s/transitiveMembers/microsoft.graph.user"

func membersOf(id string) string { return strings.Replace(membersPath, "%s", url.PathEscape(id), 1) }

// nestedGroups: a holds user 1 and group b; b holds users 2 and 1 again
// and group c; c holds user 4 and, closing a cycle, a.
func nestedGroups(t *testing.T, opts Options) *Server {
	t.Helper()
	s := newTestServer(t, opts)
	s.AddGroups(Group{ID: "a", DisplayName: "A"}, Group{ID: "b"}, Group{ID: "c"})
	s.AddGroupMembers("a", "1", "b")
	s.AddGroupMembers("b", "2", "1", "C")
	s.AddGroupMembers("c", "4", "a", "4")
	return s
}

func TestTransitiveUsers(t *testing.T) {
	s := nestedGroups(t, Options{})
	for group, want := range map[string][]string{"a": {"1", "2", "4"}, "B": {"2", "1", "4"}, "c": {"4", "1", "2"}} {
		r := get(t, s, membersOf(group), nil)
		if r.status != 200 || !slices.Equal(ids(t, r), want) || r.body["@odata.context"] != metadataBase+"#users" {
			t.Errorf("%s: %d %v, want %v", group, r.status, r.body, want)
		}
	}
	// The SDK's spelling of the cast, $select and $count, with the advanced
	// query header a client should send.
	q := url.Values{"$select": {"id,userPrincipalName"}, "$count": {"true"}}
	r := do(t, s, http.MethodGet, "/groups/a/transitiveMembers/graph.user?"+q.Encode(), eventual, nil)
	first := r.body["value"].([]any)[0].(map[string]any)
	if r.status != 200 || r.body["@odata.count"] != float64(3) || len(first) != 2 || first["userPrincipalName"] != "alice@contoso.com" ||
		r.body["@odata.context"] != metadataBase+"#users(id,userPrincipalName)" {
		t.Errorf("select and count: %d %v", r.status, r.body)
	}
	// A group without members has none; a nested group's members do not
	// make a user of it.
	s.AddGroups(Group{ID: "empty"})
	if r := get(t, s, membersOf("empty"), nil); r.status != 200 || len(r.body["value"].([]any)) != 0 {
		t.Errorf("empty group: %d %v", r.status, r.body)
	}
}

func TestTransitiveUsersPaging(t *testing.T) {
	s := nestedGroups(t, Options{PageSize: 2})
	for _, q := range []url.Values{{"$select": {"id"}}, {"$select": {"id"}, "$top": {"1"}}} {
		var got []string
		next := membersOf("a") + "?" + q.Encode()
		for pages := 0; next != ""; pages++ {
			if pages == 4 {
				t.Fatal("paging does not end")
			}
			r := do(t, s, http.MethodGet, next, nil, nil)
			if r.status != 200 {
				t.Fatalf("%v page %d: %d %v", q, pages, r.status, r.body)
			}
			got = append(got, ids(t, r)...)
			next, _ = r.body["@odata.nextLink"].(string)
			if next != "" && (!strings.HasPrefix(next, s.URL()+membersOf("a")+"?") || !strings.Contains(next, "$select=id")) {
				t.Fatalf("nextLink %q", next)
			}
		}
		if !slices.Equal(got, []string{"1", "2", "4"}) {
			t.Errorf("%v: pages gave %v", q, got)
		}
	}
}

func TestTransitiveUsersRefused(t *testing.T) {
	s := nestedGroups(t, Options{})
	r := get(t, s, membersOf("nobody"), nil)
	if r.status != 404 || r.errorCode() != "Request_ResourceNotFound" ||
		r.errorMessage() != "Resource 'nobody' does not exist or one of its queried reference-property objects are not present." {
		t.Errorf("unknown group: %d %v", r.status, r.body)
	}
	// A user's id is not a group's.
	if r := get(t, s, membersOf("1"), nil); r.status != 404 {
		t.Errorf("user as group: %d", r.status)
	}
	for _, q := range []url.Values{
		{"$filter": {"accountEnabled eq true"}}, {"$top": {"0"}}, {"$top": {"1000"}}, {"$count": {"maybe"}},
		{"$select": {"id,favouriteColour"}}, {"$skiptoken": {"bogus"}},
	} {
		if r := get(t, s, membersOf("a"), q); r.status != 400 || r.errorCode() != "BadRequest" {
			t.Errorf("%v: %d %v", q, r.status, r.body)
		}
	}
	if r := do(t, s, http.MethodPost, membersOf("a"), nil, []byte(`{}`)); r.status != 405 {
		t.Errorf("POST: %d", r.status)
	}
	// /groups itself is still not served, and says so by name.
	if r := get(t, s, "/groups", nil); r.status != 400 || r.errorMessage() != "Resource not found for the segment 'groups'." {
		t.Errorf("/groups: %d %v", r.status, r.body)
	}
}

func TestAddGroupMembersNeedsThem(t *testing.T) {
	s := nestedGroups(t, Options{})
	for name, add := range map[string]func(){
		"unknown group":  func() { s.AddGroupMembers("nobody", "1") },
		"unknown member": func() { s.AddGroupMembers("a", "nobody") },
		"member by UPN":  func() { s.AddGroupMembers("a", "obrien@contoso.com") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			add()
		}()
	}
	// Replacing a group keeps its members.
	s.AddGroups(Group{ID: "A", DisplayName: "renamed"})
	if r := get(t, s, membersOf("a"), nil); !slices.Equal(ids(t, r), []string{"1", "2", "4"}) {
		t.Errorf("after replacing: %v", ids(t, r))
	}
}
