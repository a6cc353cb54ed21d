package fakegraph

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

var guidFormat = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestTenantDeterministic(t *testing.T) {
	a, b, c := Tenant(500, 7), Tenant(500, 7), Tenant(500, 8)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different tenants")
	}
	same := 0
	for i := range a {
		if a[i].ID == c[i].ID {
			same++
		}
	}
	if same != 0 {
		t.Errorf("%d ids shared between seeds 7 and 8", same)
	}
	if Tenant(0, 1) != nil || Tenant(-1, 1) != nil {
		t.Error("empty tenant should be nil")
	}
	if got := Tenant(1, 1)[0].UserPrincipalName; got != "user00000@contoso.com" && !strings.HasPrefix(got, "guest00000_") {
		t.Errorf("first UPN %q", got)
	}
}

func TestTenantMix(t *testing.T) {
	const n = 10000
	users := Tenant(n, 42)
	ids, upns := map[string]bool{}, map[string]bool{}
	guests, disabled := 0, 0
	for i, u := range users {
		num := fmt.Sprintf("%05d", i)
		if !guidFormat.MatchString(u.ID) || ids[u.ID] || upns[u.UserPrincipalName] {
			t.Fatalf("user %d: bad or repeated id/UPN %+v", i, u)
		}
		ids[u.ID], upns[u.UserPrincipalName] = true, true
		switch u.UserType {
		case "Guest":
			guests++
			if u.UserPrincipalName != "guest"+num+"_fabrikam.com#EXT#@contoso.onmicrosoft.com" || u.Mail != "guest"+num+"@fabrikam.com" {
				t.Fatalf("guest %d: %+v", i, u)
			}
		case "Member":
			if u.UserPrincipalName != "user"+num+"@contoso.com" || u.Mail != u.UserPrincipalName ||
				u.MailNickname != "user"+num || u.DisplayName == "" || u.Department == "" ||
				!reflect.DeepEqual(u.ProxyAddresses, []string{"SMTP:" + u.Mail}) {
				t.Fatalf("member %d: %+v", i, u)
			}
		default:
			t.Fatalf("user %d: userType %q", i, u.UserType)
		}
		if !u.AccountEnabled {
			disabled++
		}
	}
	// Binomial spread around 3% and 2% of 10,000 is about ±0.2 points.
	if guests < n*2/100 || guests > n*4/100 || disabled < n*1/100 || disabled > n*3/100 {
		t.Errorf("%d guests and %d disabled out of %d", guests, disabled, n)
	}
}

// TestPageThroughTenant walks a 10,000-user tenant the way the bulk engine
// does: Graph's largest page, a narrow $select, and nextLink to the end.
func TestPageThroughTenant(t *testing.T) {
	users := Tenant(10000, 3)
	s := New(Options{Token: testToken, PageSize: 999})
	t.Cleanup(s.Close)
	s.AddUsers(users...)
	byID := make(map[string]User, len(users))
	enabled := 0
	for _, u := range users {
		byID[u.ID] = u
		if u.AccountEnabled {
			enabled++
		}
	}
	for _, tc := range []struct {
		filter      string
		want, pages int
	}{
		{"", len(users), 11}, // ten full pages and one of 10
		{"accountEnabled eq true", enabled, (enabled + 998) / 999},
	} {
		q := url.Values{"$top": {"999"}, "$select": {"id,userPrincipalName,userType,accountEnabled"}}
		if tc.filter != "" {
			q.Set("$filter", tc.filter)
		}
		next, seen, pages := s.URL()+"/users?"+q.Encode(), map[string]bool{}, 0
		for next != "" {
			r := do(t, s, http.MethodGet, next, nil, nil)
			if r.status != 200 {
				t.Fatalf("%q page %d: %d %v", tc.filter, pages, r.status, r.body)
			}
			for _, v := range r.body["value"].([]any) {
				got := v.(map[string]any)
				id, _ := got["id"].(string)
				u, ok := byID[id]
				if !ok || seen[id] || len(got) != 4 || got["userPrincipalName"] != u.UserPrincipalName ||
					got["userType"] != u.UserType || got["accountEnabled"] != u.AccountEnabled {
					t.Fatalf("%q: unexpected, repeated or wrong user %v", tc.filter, got)
				}
				if tc.filter != "" && !u.AccountEnabled {
					t.Fatalf("filter let through %v", got)
				}
				seen[id] = true
			}
			next, _ = r.body["@odata.nextLink"].(string)
			pages++
		}
		if len(seen) != tc.want || pages != tc.pages {
			t.Errorf("%q: %d users over %d pages, want %d over %d", tc.filter, len(seen), pages, tc.want, tc.pages)
		}
	}
}

// BenchmarkAddTenant measures loading the tenant size the bulk benchmark
// uses; it should stay well under a second.
func BenchmarkAddTenant(b *testing.B) {
	users := Tenant(100000, 1)
	for b.Loop() {
		s := New(Options{})
		s.AddUsers(users...)
		s.Close()
	}
}

// BenchmarkListPage checks that a page deep into a big tenant costs the
// same as the first: the skiptoken is found by binary search, not a scan.
func BenchmarkListPage(b *testing.B) {
	s := New(Options{PageSize: 999})
	defer s.Close()
	s.AddUsers(Tenant(100000, 1)...)
	for _, after := range []int64{0, 99000} {
		b.Run(fmt.Sprintf("after=%d", after), func(b *testing.B) {
			q := url.Values{"$top": {"999"}, "$select": {"id,userPrincipalName,userType,accountEnabled"},
				"$filter": {"accountEnabled eq true"}}
			if after > 0 {
				q.Set("$skiptoken", encodeSkiptoken(after))
			}
			for b.Loop() {
				if r := s.listUsers(&call{query: q}); r.status != 200 {
					b.Fatal(r.body)
				}
			}
		})
	}
}
