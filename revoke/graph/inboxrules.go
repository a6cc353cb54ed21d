package graph

import (
	"context"
	"errors"

	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/revokebot/revokebot/revoke"
)

// The reads and writes of a user's inbox rules and the application
// permission each needs: reading takes MailboxSettings.Read, the least
// NOTES.md gives, though the app holds ReadWrite to disable rules anyway.
const (
	opListRules    = "list inbox rules"
	opDisableRule  = "disable an inbox rule"
	permRulesRead  = "MailboxSettings.Read"
	permRulesWrite = "MailboxSettings.ReadWrite"
)

// codeNoMailbox is Outlook's code, with 404, for a user without an
// Exchange Online mailbox: unlicensed, soft-deleted, hosted on-premises,
// or a guest.
const codeNoMailbox = "MailboxNotEnabledForRESTAPI"

// IsNoMailbox reports whether err is Outlook's answer for a user who has
// no Exchange Online mailbox, so that a caller words it as "no mailbox"
// rather than "no such user" (both are KindNotFound). It goes by Graph's
// error code alone, which says exactly that.
func IsNoMailbox(err error) bool {
	var e *revoke.Error
	return errors.As(err, &e) && e.Code == codeNoMailbox
}

// InboxRules lists the rules of the user's Inbox (GET
// /users/{id}/mailFolders/inbox/messageRules), with the addresses each
// forwards or redirects to and whether it deletes. Mailbox-level
// forwarding (forwardingSmtpAddress) is not in Graph v1.0: a user without
// suspicious rules may still forward all mail that way. Outlook allows 4
// concurrent requests per mailbox; one caller per user at a time stays
// within it, and a 429 over it is retried after its Retry-After.
func (c *Client) InboxRules(ctx context.Context, userID string) ([]revoke.Rule, error) {
	if err := needID(opListRules, permRulesRead, "user", userID); err != nil {
		return nil, err
	}
	l := listing{
		op: opListRules, permission: permRulesRead,
		template: "{+baseurl}/users/{user%2Did}/mailFolders/inbox/messageRules",
		params:   map[string]string{"user%2Did": userID},
		prefix:   "/users/",
	}
	var out []revoke.Rule
	err := walk(ctx, c, l, models.CreateMessageRuleCollectionResponseFromDiscriminatorValue,
		func(r models.MessageRuleable) { out = append(out, toRule(r)) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

func toRule(r models.MessageRuleable) revoke.Rule {
	out := revoke.Rule{
		ID:       str(r.GetId()),
		Name:     str(r.GetDisplayName()),
		Enabled:  boolOf(r.GetIsEnabled()),
		ReadOnly: boolOf(r.GetIsReadOnly()),
	}
	if a := r.GetActions(); a != nil {
		out.ForwardTo = addresses(a.GetForwardTo())
		out.RedirectTo = addresses(a.GetRedirectTo())
		out.ForwardAsAttach = addresses(a.GetForwardAsAttachmentTo())
		out.Delete = boolOf(a.GetDelete())
		out.PermanentDelete = boolOf(a.GetPermanentDelete())
	}
	return out
}

// addresses are the recipients' addresses, a recipient without one left out.
func addresses(rs []models.Recipientable) []string {
	var out []string
	for _, r := range rs {
		if r == nil || r.GetEmailAddress() == nil {
			continue
		}
		if a := str(r.GetEmailAddress().GetAddress()); a != "" {
			out = append(out, a)
		}
	}
	return out
}

func boolOf(p *bool) bool { return p != nil && *p }

// DisableRule turns one of the user's inbox rules off (PATCH
// …/messageRules/{id} with only isEnabled=false), keeping it for the
// record and for the user to review. A rule Graph marks read-only cannot be
// changed through Graph: skip it (revoke.Rule.ReadOnly). Outlook's refusal
// of one is 403 ErrorAccessDenied, the same answer as a missing permission,
// so it is KindForbidden either way.
func (c *Client) DisableRule(ctx context.Context, userID, ruleID string) error {
	if err := needID(opDisableRule, permRulesWrite, "user", userID); err != nil {
		return err
	}
	if err := needID(opDisableRule, permRulesWrite, "rule", ruleID); err != nil {
		return err
	}
	return c.do(ctx, opDisableRule, permRulesWrite, func() error {
		body := models.NewMessageRule() // a fresh model per try, as in DisableUser
		off := false
		body.SetIsEnabled(&off)
		_, err := c.users().ByUserId(userID).MailFolders().ByMailFolderId("inbox").MessageRules().
			ByMessageRuleId(ruleID).Patch(ctx, body, nil)
		return err
	})
}
