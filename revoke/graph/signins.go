package graph

import (
	"context"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/auditlogs"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/revokebot/revokebot/revoke"
)

// maxSignInPages bounds one SignIns call: at Graph's 1,000 sign-ins a page,
// the newest 10,000 of one user are more than any watch needs.
const maxSignInPages = 10

// SignIns lists the user's sign-ins at or after since, newest first, as
// Graph orders them (GET /auditLogs/signIns, which needs Entra ID P1 or P2:
// KindUnlicensed without). It follows at most maxSignInPages pages and
// returns the newest ones when there are more. A zero since lists them all.
func (c *Client) SignIns(ctx context.Context, userID string, since time.Time) ([]revoke.SignIn, error) {
	const op, permission = "read sign-ins", "AuditLog.Read.All"
	// signIns accepts only $filter, $top and $skiptoken; the answer is
	// already newest first. DateTimeOffset literals are unquoted; seconds
	// are enough, and the second's fraction is trimmed below.
	filter := "userId eq " + revoke.ODataString(userID)
	if !since.IsZero() {
		filter += " and createdDateTime ge " + since.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")
	}
	var out []revoke.SignIn
	err := follow(ctx, c, op, permission, "/auditLogs/signIns?", "sign-ins", maxSignInPages,
		func() (models.SignInCollectionResponseable, error) {
			return c.signIns().Get(ctx, &auditlogs.SignInsRequestBuilderGetRequestConfiguration{
				QueryParameters: &auditlogs.SignInsRequestBuilderGetQueryParameters{Filter: &filter},
			})
		},
		func(next string) (models.SignInCollectionResponseable, error) {
			return c.signIns().WithUrl(next).Get(ctx, nil)
		},
		func(s models.SignInable) bool {
			if in := toSignIn(s); since.IsZero() || !in.At.Before(since) {
				out = append(out, in)
			}
			return true
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// signIns returns a new request builder per call, as users does.
func (c *Client) signIns() *auditlogs.SignInsRequestBuilder {
	return auditlogs.NewSignInsRequestBuilderInternal(map[string]string{}, c.adapter)
}

func toSignIn(s models.SignInable) revoke.SignIn {
	in := revoke.SignIn{ID: str(s.GetId()), IP: str(s.GetIpAddress()), App: str(s.GetAppDisplayName())}
	if t := s.GetCreatedDateTime(); t != nil {
		in.At = t.UTC()
	}
	// A sign-in without a status is not known to have succeeded.
	if st := s.GetStatus(); st != nil && st.GetErrorCode() != nil {
		in.Success = *st.GetErrorCode() == 0
	}
	return in
}
