package fakeslack

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

const (
	adminToken = "xoxp-test-admin"
	enterprise = "E0ORG"
)

// TestLookupByEmail: users.lookupByEmail through slack-go finds a user by
// profile e-mail whatever its case, answers users_not_found for an address
// nobody has, and asks users:read.email of whichever token calls it.
func TestLookupByEmail(t *testing.T) {
	s := newServer(t, Options{Admin: AdminOptions{Token: adminToken}, Users: []User{
		{ID: "W1", Name: "alice", RealName: "Alice A", Email: "alice@example.com"},
		{ID: "W2", Name: "bob", Email: "bob@example.com", Deleted: true},
	}})
	api := apiClient(s)
	ctx := testCtx(t, 10*time.Second)

	u, err := api.GetUserByEmailContext(ctx, "Alice@Example.COM")
	if err != nil || u.ID != "W1" || u.Name != "alice" || u.RealName != "Alice A" || u.Profile.Email != "alice@example.com" {
		t.Errorf("lookup = %+v, %v", u, err)
	}
	if u, err := api.GetUserByEmailContext(ctx, "bob@example.com"); err != nil || !u.Deleted {
		t.Errorf("deactivated user = %+v, %v", u, err)
	}
	if _, err := api.GetUserByEmailContext(ctx, "nobody@example.com"); err == nil || err.Error() != "users_not_found" {
		t.Errorf("unknown address: %v", err)
	}
	admin := slack.New(adminToken, slack.OptionAPIURL(s.APIURL()))
	_, err = admin.GetUserByEmailContext(ctx, "alice@example.com")
	if se, _ := errors.AsType[slack.SlackErrorResponse](err); se.Err != "missing_scope" || se.Needed != emailScope || se.Provided != adminUsersWrite {
		t.Errorf("admin token without users:read.email: %#v", err)
	}
}

// TestAdminAuthTest: auth.test with the admin token names the admin, has no
// bot_id, reports the org and the token's scopes in X-OAuth-Scopes.
func TestAdminAuthTest(t *testing.T) {
	s := newServer(t, Options{EnterpriseID: enterprise, Users: []User{{ID: "W0BOSS", Name: "boss"}},
		Admin: AdminOptions{Token: adminToken, UserID: "W0BOSS", Scopes: []string{adminUsersWrite, "users:read"}}})
	at, err := slack.New(adminToken, slack.OptionAPIURL(s.APIURL())).AuthTest()
	if err != nil || at.UserID != "W0BOSS" || at.User != "boss" || at.BotID != "" || at.EnterpriseID != enterprise ||
		at.Header.Get("X-OAuth-Scopes") != "admin.users:write,users:read" {
		t.Errorf("auth.test = %+v, %v", at, err)
	}
	if at, err := apiClient(s).AuthTest(); err != nil || at.BotID != BotID || at.EnterpriseID != enterprise {
		t.Errorf("bot auth.test = %+v, %v", at, err)
	}
}

// TestSessionReset: admin.users.session.reset answers as its method page
// says, and records only the resets it carried out.
func TestSessionReset(t *testing.T) {
	users := []User{{ID: "W1", Name: "alice"}, {ID: "W0OWNER", Name: "owner"}, {ID: "B1", Name: "robot", IsBot: true}}
	grid := Options{EnterpriseID: enterprise, PrimaryOwner: "W0OWNER", Users: users, Admin: AdminOptions{Token: adminToken}}
	for _, tc := range []struct {
		name         string
		opts         func(*Options)
		token        string
		form         url.Values
		want         string         // Slack error; "" for ok
		needed, have string         // for missing_scope
		resets       []SessionReset // of form's user_id afterwards
	}{
		{name: "every session", form: url.Values{"user_id": {"W1"}}, resets: []SessionReset{{}}},
		{name: "mobile only", form: url.Values{"user_id": {"W1"}, "mobile_only": {"true"}}, resets: []SessionReset{{MobileOnly: true}}},
		{name: "web only", form: url.Values{"user_id": {"W1"}, "web_only": {"1"}}, resets: []SessionReset{{WebOnly: true}}},
		{name: "bot token", token: botToken, form: url.Values{"user_id": {"W1"}}, want: "not_allowed_token_type"},
		{name: "app token", token: appToken, form: url.Values{"user_id": {"W1"}}, want: "not_allowed_token_type"},
		{name: "wrong token", token: "xoxp-wrong", form: url.Values{"user_id": {"W1"}}, want: "invalid_auth"},
		{name: "without admin.users:write", opts: func(o *Options) { o.Admin.Scopes = []string{"users:read"} },
			form: url.Values{"user_id": {"W1"}}, want: "missing_scope", needed: adminUsersWrite, have: "users:read"},
		{name: "not Enterprise Grid", opts: func(o *Options) { o.EnterpriseID = "" },
			form: url.Values{"user_id": {"W1"}}, want: "feature_not_enabled"},
		{name: "unknown user", form: url.Values{"user_id": {"W404"}}, want: "user_not_found"},
		{name: "no user", form: url.Values{}, want: "invalid_arguments"},
		{name: "bot user", form: url.Values{"user_id": {"B1"}}, want: "cannot_reset_bot"},
		{name: "primary owner", form: url.Values{"user_id": {"W0OWNER"}}, want: "cannot_reset_primary_owner"},
		{name: "primary owner by the owner", opts: func(o *Options) { o.Admin.UserID = "W0OWNER" },
			form: url.Values{"user_id": {"W0OWNER"}}, resets: []SessionReset{{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := grid
			if tc.opts != nil {
				tc.opts(&opts)
			}
			s := newServer(t, opts)
			token := tc.token
			if token == "" {
				token = adminToken
			}
			var got struct {
				OK       bool   `json:"ok"`
				Error    string `json:"error"`
				Needed   string `json:"needed"`
				Provided string `json:"provided"`
			}
			if err := json.Unmarshal([]byte(rawPost(t, s.APIURL()+"admin.users.session.reset", "Bearer "+token, tc.form)), &got); err != nil {
				t.Fatal(err)
			}
			if got.OK != (tc.want == "") || got.Error != tc.want || got.Needed != tc.needed || got.Provided != tc.have {
				t.Errorf("answer %+v, want error %q needed %q provided %q", got, tc.want, tc.needed, tc.have)
			}
			if r := s.SessionResets(tc.form.Get("user_id")); !slices.Equal(r, tc.resets) {
				t.Errorf("resets %+v, want %+v", r, tc.resets)
			}
			if c := s.Calls(); len(c) != 1 || c[0].Error != tc.want || c[0].Params.Has("token") {
				t.Errorf("call log %+v", c)
			}
		})
	}
}
