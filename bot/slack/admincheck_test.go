package slack

import (
	"context"
	"strings"
	"testing"

	"github.com/revokebot/revokebot/internal/fakeslack"
)

func TestCheckAdminToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(*fakeslack.Options)
		token  string
		ok     bool
		detail string
	}{
		{name: "org admin", ok: true, detail: "W0ADMIN) in org E0ORG, with admin.users:write"},
		{name: "unset", token: "-", ok: true, detail: "unset"},
		{name: "bot token", token: testBotToken, detail: "a bot token"},
		{name: "revoked", token: "xoxp-revoked", detail: "slack auth.test: invalid_auth"},
		{name: "not Enterprise Grid", change: func(o *fakeslack.Options) { o.EnterpriseID = "" }, detail: "not on an Enterprise Grid org"},
		{name: "without the scope", change: func(o *fakeslack.Options) { o.Admin.Scopes = []string{"users:read"} },
			detail: "lacks admin.users:write"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fs := adminWorld(t, tc.change)
			token := tc.token
			switch token {
			case "":
				token = testAdminToken
			case "-":
				token = ""
			}
			r := CheckAdminToken(context.Background(), AdminConfig{AdminToken: token, APIURL: fs.APIURL()})
			if r.OK != tc.ok || !strings.Contains(r.Detail, tc.detail) || (!r.OK && r.Fix == "") {
				t.Errorf("%+v, want ok %v and %q", r, tc.ok, tc.detail)
			}
			noSecret(t, r)
		})
	}
}
