package exchange

import "context"

// Check makes the cheapest read there is (Get-Mailbox -ResultSize 1, any
// mailbox of the tenant) to prove Exchange accepts the app, for `revokebot
// check`. It changes nothing. Its error tells the two grants apart
// (revoke.LacksOf): KindUnauthorized with LacksPermission when the token
// lacks Exchange.ManageAsApp (401), KindForbidden with LacksRole when the
// service principal holds no directory role (403). Success proves a role
// that reads; whether it may also write (Exchange Administrator, not
// Security Reader) only a write would show, and Check writes nothing.
func (c *Client) Check(ctx context.Context) error {
	_, err := c.invoke(ctx, call{op: "check Exchange access", cmdlet: "Get-Mailbox", params: map[string]any{"ResultSize": 1}})
	return err
}
