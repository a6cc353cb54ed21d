package main

import (
	"context"
	"slices"

	"github.com/revokebot/revokebot/bot"
)

// checkExchange reads one mailbox through Exchange's admin endpoint, which
// proves the app role and a directory role. It fails only when the policy
// makes an Exchange action a default: one asked for on the command is
// refused then, with the reason, which is the moment to learn it.
func checkExchange(ctx context.Context, cfg config) bot.CheckResult {
	const name = "exchange online"
	needed := slices.ContainsFunc(cfg.Policy.Actions, exchangeAction)
	fix := "give the app the application permission Exchange.ManageAsApp on Office 365 Exchange Online, with admin consent, and the Exchange Administrator role (see the README)"
	if cfg.ExchangeTenant == "" { // loadConfig refused a policy that needs it
		return bot.CheckResult{Name: name, OK: true, Detail: "off: no token for Exchange (set EXCHANGE_ACCESS_TOKEN, or use azidentity with AZURE_TENANT_ID); --forwarding and --protocols are refused",
			Fix: "set EXCHANGE_ACCESS_TOKEN, or azidentity's variables with AZURE_TENANT_ID"}
	}
	xc, err := newExchange(cfg, nil)
	if err != nil {
		return bot.CheckResult{Name: name, OK: !needed, Detail: err.Error(), Fix: fix}
	}
	if err := xc.Check(ctx); err != nil {
		return bot.CheckResult{Name: name, OK: !needed, Detail: "a mailbox could not be read: " + err.Error() + "; Exchange refuses --forwarding and --protocols until then", Fix: fix}
	}
	return bot.CheckResult{Name: name, OK: true, Detail: "a mailbox read through the admin endpoint: the app role and a directory role are in place (only a change can show the role may write: Exchange Administrator, not Security Reader); --forwarding and --protocols can run"}
}
