package slack

import (
	"context"
	"errors"
	"strings"

	goslack "github.com/slack-go/slack"
)

const lookupMethod = "users.lookupByEmail"

// UserByEmail finds the Slack user whose profile e-mail is email, with the
// bot token (users.lookupByEmail, scope users:read.email), for the slack
// action's card. found is false when Slack knows no such address; err is a
// *CallError. The results are plain values so that the workflow can declare
// its port without naming this package's types.
func (a *Adapter) UserByEmail(ctx context.Context, email string) (id, name string, found bool, err error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", "", false, nil
	}
	u, found, err := a.lookup(ctx, email)
	// Slack's page does not say that the match ignores case, and Entra
	// keeps UPNs as typed (Alice.Smith@…) where Slack profiles are mostly
	// lower case: a miss is asked again in lower case.
	if err == nil && !found && strings.ToLower(email) != email {
		u, found, err = a.lookup(ctx, strings.ToLower(email))
	}
	if err != nil || !found {
		return "", "", false, err
	}
	return u.ID, u.Name, true, nil
}

// lookup is one users.lookupByEmail, users_not_found being an answer.
func (a *Adapter) lookup(ctx context.Context, email string) (*goslack.User, bool, error) {
	var u *goslack.User
	err := retryOnce(ctx, lookupMethod, func() error {
		var err error
		u, err = a.api.GetUserByEmailContext(ctx, email)
		return err
	})
	var ce *CallError
	if errors.As(err, &ce) && ce.Code == "users_not_found" {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return u, true, nil
}
