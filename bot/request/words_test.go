package request

import (
	"errors"
	"strings"
	"testing"

	"github.com/revokebot/revokebot/revoke"
)

func TestDescribe(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&revoke.Error{Kind: revoke.KindNotFound, Status: 404}, "does not exist"},
		{&revoke.Error{Kind: revoke.KindForbidden, Status: 403, Code: "Authorization_RequestDenied", Permission: "User.RevokeSessions.All"},
			"insufficient privileges (403 Authorization_RequestDenied). The app registration needs the application permission `User.RevokeSessions.All`"},
		{&revoke.Error{Kind: revoke.KindThrottled, Status: 429, Attempts: 5}, "kept throttling revokebot (429 Too Many Requests) and it gave up after 5 tries"},
		{&revoke.Error{Kind: revoke.KindUnavailable, Status: 504, Attempts: 5}, "unavailable (HTTP 504)"},
		{&revoke.Error{Kind: revoke.KindNetwork, Attempts: 3}, "could not reach Graph (network error) after 3 tries"},
		{&revoke.Error{Kind: revoke.KindUnauthorized, Status: 401}, "refused revokebot's token (401)"},
		{&revoke.Error{Kind: revoke.KindBadRequest, Status: 400, Code: "BadRequest", Message: "<!channel>"}, "400 BadRequest): &lt;!channel&gt;"},
		{errors.New("boom"), "internal error"},
	} {
		if got := describe(tc.err); !strings.Contains(got, tc.want) {
			t.Errorf("describe(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
