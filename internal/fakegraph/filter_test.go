package fakegraph

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

var filterUsers = []User{
	{ID: "1", DisplayName: "Alice Smith", UserPrincipalName: "alice@contoso.com", Mail: "alice@contoso.com",
		MailNickname: "alice", ProxyAddresses: []string{"SMTP:alice@contoso.com", "smtp:al@contoso.com"},
		UserType: "Member", AccountEnabled: true, JobTitle: "Engineer", Department: "R&D"},
	{ID: "2", DisplayName: "Bob O'Brien", UserPrincipalName: "obrien@contoso.com", Mail: "o'brien@contoso.com",
		MailNickname: "obrien", ProxyAddresses: []string{"SMTP:o'brien@contoso.com"},
		UserType: "Member", AccountEnabled: false, Department: "Sales"},
	{ID: "3", DisplayName: "Guest Gil", UserPrincipalName: "gil_fabrikam.com#EXT#@contoso.onmicrosoft.com",
		Mail: "gil@fabrikam.com", MailNickname: "gil_fabrikam.com#EXT#", UserType: "Guest", AccountEnabled: true},
	{ID: "4", DisplayName: "No Mail", UserPrincipalName: "nomail@contoso.com", UserType: "Member",
		AccountEnabled: true, OnPremisesSyncEnabled: true},
}

func matchIDs(t *testing.T, filter string) ([]string, error) {
	t.Helper()
	x, err := parseFilter(filter)
	if err != nil {
		return nil, err
	}
	var ids []string
	for i := range filterUsers {
		if x.match(&env{u: &filterUsers[i]}) {
			ids = append(ids, filterUsers[i].ID)
		}
	}
	return ids, nil
}

func TestFilterMatches(t *testing.T) {
	tests := []struct {
		filter string
		want   []string
	}{
		{"mail eq 'alice@contoso.com'", []string{"1"}},
		{"MAIL EQ 'ALICE@CONTOSO.COM'", []string{"1"}},
		{"mail eq 'o''brien@contoso.com'", []string{"2"}},
		{"mailNickname eq 'x'' or ''1'' eq ''1'", nil},
		{"mail ne 'alice@contoso.com'", []string{"2", "3", "4"}},
		{"mail eq null", []string{"4"}},
		{"mail ne null", []string{"1", "2", "3"}},
		{"userType eq 'Guest'", []string{"3"}},
		{"userType eq 'member' and accountEnabled eq true", []string{"1", "4"}},
		{"accountEnabled eq false", []string{"2"}},
		{"accountEnabled ne true", []string{"2"}},
		{"onPremisesSyncEnabled eq true", []string{"4"}},
		{"not (userType eq 'Member')", []string{"3"}},
		{"not userType eq 'Member'", []string{"3"}},
		{"mail eq 'alice@contoso.com' or mail eq 'gil@fabrikam.com'", []string{"1", "3"}},
		{"(mail eq 'x' or department eq 'r&d') and accountEnabled eq true", []string{"1"}},
		{"mail eq 'x' or department eq 'sales' and accountEnabled eq true", nil},
		{"mail eq 'alice@contoso.com' or department eq 'sales' and accountEnabled eq false", []string{"1", "2"}},
		{"startswith(displayName,'bob')", []string{"2"}},
		{"startsWith(userPrincipalName, 'GIL_')", []string{"3"}},
		{"startswith(mail,'')", []string{"1", "2", "3"}},
		{"endswith(mail,'@fabrikam.com')", []string{"3"}},
		{"proxyAddresses/any(p:p eq 'smtp:al@contoso.com')", []string{"1"}},
		{"proxyAddresses/any(x: x eq 'SMTP:O''BRIEN@contoso.com')", []string{"2"}},
		{"proxyAddresses/any(p:startswith(p,'smtp:al'))", []string{"1"}},
		{"proxyAddresses/all(p:startswith(p,'smtp:'))", []string{"1", "2", "3", "4"}},
		{"proxyAddresses/any(p:p eq 'nobody@contoso.com')", nil},
		{"userType in ('Guest', 'nobody')", []string{"3"}},
		{"mail in ('alice@contoso.com','o''brien@contoso.com')", []string{"1", "2"}},
		{"id eq '4'", []string{"4"}},
		{"  jobTitle  eq  'engineer'  ", []string{"1"}},
		{"userPrincipalName eq 'gil_fabrikam.com#EXT#@contoso.onmicrosoft.com'", []string{"3"}},
	}
	for _, tt := range tests {
		got, err := matchIDs(t, tt.filter)
		if err != nil {
			t.Errorf("%s: unexpected error %v", tt.filter, err)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: matched %v, want %v", tt.filter, got, tt.want)
		}
	}
}

func TestFilterErrors(t *testing.T) {
	const syntax, unknown = "Invalid filter clause: ", "Could not find a property named '"
	tests := []struct {
		filter string
		prefix string
	}{
		{"", syntax},
		{"mail eq 'alice", syntax},                    // unterminated string
		{"mail eq 'o'brien@contoso.com'", syntax},     // unescaped quote: trailing garbage
		{"mail eq 'x' or 1 eq 1", syntax},             // literal on the left
		{"mailNickname eq 'x' or '1' eq '1'", syntax}, // literal on the left
		{"mail eq", syntax},                           // eq without literal
		{"mail eq 'x' and", syntax},                   // dangling operator
		{"mail eq 'x' or or mail eq 'y'", unknown},    // "or" read as a property name
		{"mail 'x'", syntax},                          // missing operator
		{"(mail eq 'x'", syntax},                      // unbalanced
		{"mail eq 'x')", syntax},                      // unbalanced
		{"mail eq 'x' 'y'", syntax},                   // trailing garbage
		{"mail eq mail", syntax},                      // property comparison
		{"mail = 'x'", syntax},                        // not OData
		{"accountEnabled eq 'true'", syntax},          // incompatible types
		{"mail eq true", syntax},                      // incompatible types
		{"mail eq 12", syntax},                        // incompatible types
		{"proxyAddresses eq 'smtp:x'", syntax},        // collection compared directly
		{"mail/any(p:p eq 'x')", syntax},              // lambda on a scalar
		{"proxyAddresses/any(p p eq 'x')", syntax},    // missing colon
		{"proxyAddresses/any(p:p eq 'x'", syntax},     // unclosed lambda
		{"proxyAddresses/some(p:p eq 'x')", syntax},   // unknown lambda operator
		{"contains(mail,'x')", syntax},                // unknown function
		{"startswith(mail,mail)", syntax},             // function needs a literal
		{"startswith(accountEnabled,'t')", syntax},    // function on a boolean
		{"startswith(mail 'x')", syntax},              // missing comma
		{"userType in 'Guest'", syntax},               // in needs a list
		{"userType in ('Guest',)", syntax},            // empty list item
		{"nope eq 'x'", unknown},                      // unknown property
		{"proxyAddresses/any(p:q eq 'x')", unknown},   // unbound variable
		{"p eq 'x'", unknown},                         // variable outside its lambda
		{"mail eq 'x' or givenName eq 'y'", unknown},  // not modelled by the fake
		{"mail eq 'x';drop", syntax},                  // stray character
		{"mail eq \"x\"", syntax},                     // double quotes are not OData strings
		{"mailNickname eq 'x' or startswith(mail,'", syntax},
	}
	for _, tt := range tests {
		_, err := parseFilter(tt.filter)
		var fe *filterError
		if !errors.As(err, &fe) {
			t.Errorf("%q: got %v, want a filterError", tt.filter, err)
			continue
		}
		if !strings.HasPrefix(fe.Error(), tt.prefix) {
			t.Errorf("%q: got %q, want prefix %q", tt.filter, fe.Error(), tt.prefix)
		}
	}
}

func TestFilterUnknownPropertyMessage(t *testing.T) {
	_, err := parseFilter("startswith(nickName,'a')")
	want := "Could not find a property named 'nickName' on type 'microsoft.graph.user'."
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

// An attacker-controlled value placed between quotes must either stay one
// literal (when escaped) or break the parse or the meaning (when not).
func TestFilterInjection(t *testing.T) {
	input := "x' or startswith(mail,'"
	escaped := "mailNickname eq '" + strings.ReplaceAll(input, "'", "''") + "'"
	if got, err := matchIDs(t, escaped); err != nil || got != nil {
		t.Errorf("escaped input: got %v, %v; want no match and no error", got, err)
	}
	raw := "mailNickname eq '" + input + "')"
	if got, err := matchIDs(t, raw); err == nil && got == nil {
		t.Errorf("unescaped input parsed to the same meaning as the escaped one")
	}
}
