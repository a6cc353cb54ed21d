package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/revokebot/revokebot/bot"
	"github.com/revokebot/revokebot/bot/request"
	"github.com/revokebot/revokebot/metrics"
	"github.com/revokebot/revokebot/revoke/exchange"
	"github.com/revokebot/revokebot/revoke/graph"
	"github.com/revokebot/revokebot/revoke/sharepoint"
	"github.com/revokebot/revokebot/store"
)

func serveCommand(ctx context.Context, getenv func(string) string, stderr io.Writer) int {
	cfg, err := loadConfig(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "revokebot:", err)
		return 2
	}
	log := newLogger(stderr, cfg.LogFormat, cfg.secrets(getenv)...)
	if err := serve(ctx, cfg, log, nil); err != nil {
		log.Error("revokebot stopped", "error", err)
		return 1
	}
	return 0
}

// serve builds the concrete clients and runs the bot until ctx ends.
// botOpts, when set, adjusts the bot's tuning (tests shorten intervals).
func serve(ctx context.Context, cfg config, log *slog.Logger, botOpts func(*bot.Config)) error {
	m := metrics.New()
	gc, err := newGraph(cfg, m.GraphRequest)
	if err != nil {
		return err
	}
	release, err := lockStore(cfg.StoreURL)
	if err != nil {
		return err
	}
	defer release()
	key, err := startKey(cfg.signingKey, cfg.signingKeyFile)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.StoreURL, store.SignWith(key))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()

	bc := bot.Config{BotToken: cfg.BotToken, AppToken: cfg.AppToken, APIURL: cfg.SlackAPIURL, SlackAdminToken: cfg.SlackAdminToken, Config: request.Config{
		Policy: cfg.Policy, Store: st, Directory: gc, Revoker: gc, Log: log, Metrics: m,
		Lister: gc, BulkRevoker: gc.Once(), Counter: gc, RoleHolders: gc,
		Disabler: gc, Passwords: gc, Methods: gc, Grants: gc, Rules: gc, Compromiser: gc, Prover: gc, SignIns: gc,
		Enabler: gc, Risk: gc, Changes: gc, AlertSources: gc, IncidentComments: gc, Key: key,
	}}
	if cfg.ExchangeTenant != "" {
		xc, err := newExchange(cfg, m.ExchangeRequest)
		if err != nil {
			return err
		}
		bc.Forwarding, bc.Protocols, bc.HiddenRules = xc, xc, xc
	}
	if cfg.SharePointURL != "" {
		sp, err := newSharePoint(cfg)
		if err != nil {
			return err
		}
		bc.SharePoint = sp
	}
	if botOpts != nil {
		botOpts(&bc)
	}
	b, err := bot.New(bc)
	if err != nil {
		return err
	}
	healthCtx, stopHealth := context.WithCancel(ctx)
	defer stopHealth()
	waitHealth, err := serveHealth(healthCtx, cfg.Listen, healthHandler(probes{connected: b.Connected, ping: st.Ping, metrics: m.Handler()}), log)
	if err != nil {
		return err
	}
	defer waitHealth()
	log.Info("revokebot starting", "version", version, "store", storeKind(cfg.StoreURL))
	err = b.Run(ctx)
	stopHealth()
	return err
}

// newGraph builds the Graph client: the static token when one is set, else
// azidentity's chain (environment, workload identity, managed identity, CLI).
func newGraph(cfg config, observe func(time.Duration, int)) (*graph.Client, error) {
	gcfg := graph.Config{BaseURL: cfg.GraphBaseURL, Token: cfg.GraphToken, Observe: observe,
		ReportsWindow: cfg.graphLimits.reports, CompromisedInterval: cfg.graphLimits.risk}
	if cfg.GraphToken == "" {
		cred, err := azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return nil, fmt.Errorf("graph credentials: %w", err)
		}
		gcfg.Credential = cred
	}
	return graph.New(gcfg)
}

// newSharePoint builds the SharePoint admin client: the static token when one
// is set, else azidentity's chain, which must hold a certificate credential
// (SharePoint refuses app-only tokens got with a client secret).
func newSharePoint(cfg config) (*sharepoint.Client, error) {
	scfg := sharepoint.Config{AdminURL: cfg.SharePointURL, Token: cfg.SharePointToken}
	if cfg.SharePointToken == "" {
		cred, err := azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return nil, fmt.Errorf("sharepoint credentials: %w", err)
		}
		scfg.Credential = cred
	}
	return sharepoint.New(scfg)
}

// newExchange builds Exchange's admin client: the static token when one is
// set, else azidentity's chain (as for Graph), scope
// https://outlook.office365.com/.default.
func newExchange(cfg config, observe func(time.Duration, int)) (*exchange.Client, error) {
	xcfg := exchange.Config{BaseURL: cfg.ExchangeURL, Tenant: cfg.ExchangeTenant, Token: cfg.ExchangeToken, Observe: observe}
	if cfg.ExchangeToken == "" {
		cred, err := azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return nil, fmt.Errorf("exchange credentials: %w", err)
		}
		xcfg.Credential = cred
	}
	return exchange.New(xcfg)
}

// storeKind names the backend without the rest of the URL, which may hold a password.
func storeKind(url string) string {
	for i, c := range url {
		if c == ':' {
			return url[:i]
		}
	}
	return "unknown"
}
