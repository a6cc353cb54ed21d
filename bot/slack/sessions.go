package slack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"
)

const (
	resetMethod = "admin.users.session.reset"
	// adminScope is what admin.users.session.reset asks of its user token
	// (api.slack.com/methods/admin.users.session.reset).
	adminScope    = "admin.users:write"
	defaultAPIURL = "https://slack.com/api/"
)

// AdminConfig is what Sessions and CheckAdminToken need: an org admin's
// token, kept apart from the bot's so that no admin call can use the bot
// token, nor a bot call the admin's.
type AdminConfig struct {
	AdminToken string       // SLACK_ADMIN_TOKEN: an Enterprise Grid org admin's user token, xoxp-…
	APIURL     string       // Web API base with trailing slash; default https://slack.com/api/
	HTTPClient *http.Client // default: one with a 15 s timeout
}

// Sessions ends Slack sessions with an org admin's token. It holds no bot
// token; its String, GoString and LogValue hide the one it holds.
type Sessions struct {
	token  string
	apiURL string
	hc     *http.Client
}

// NewSessions checks cfg and builds Sessions; it connects to nothing. A bot
// or app token is refused at once, by its prefix, before Slack is asked.
func NewSessions(cfg AdminConfig) (*Sessions, error) {
	switch {
	case cfg.AdminToken == "":
		return nil, errors.New("slack: SLACK_ADMIN_TOKEN is empty")
	case strings.HasPrefix(cfg.AdminToken, "xoxb-"), strings.HasPrefix(cfg.AdminToken, "xapp-"):
		return nil, errors.New("slack: SLACK_ADMIN_TOKEN is a bot or app token; it must be an org admin's user token (xoxp-…)")
	}
	cfg = cfg.withDefaults()
	return &Sessions{token: cfg.AdminToken, apiURL: cfg.APIURL, hc: cfg.HTTPClient}, nil
}

func (cfg AdminConfig) withDefaults() AdminConfig {
	if cfg.APIURL == "" {
		cfg.APIURL = defaultAPIURL
	}
	if cfg.HTTPClient == nil {
		// Go's default client never times out: one stalled connection
		// would hold a containment worker for good.
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	return cfg
}

// String hides the token from %v and %s.
func (s *Sessions) String() string { return "slack.Sessions{token: [redacted]}" }

// GoString hides the token from %#v.
func (s *Sessions) GoString() string { return s.String() }

// LogValue hides the token from log/slog.
func (s *Sessions) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Reset ends every Slack session, on every device, of the Slack user
// userID (admin.users.session.reset): the user must sign in again, through
// Entra, where a contained user cannot. err is a *CallError.
func (s *Sessions) Reset(ctx context.Context, userID string) error {
	return retryOnce(ctx, resetMethod, func() error {
		return s.post(ctx, resetMethod, url.Values{"user_id": {userID}})
	})
}

// post calls a Web API method slack-go lacks (it has no admin.users.session
// call) and answers with slack-go's error types, so that classify reads
// both paths alike.
func (s *Sessions) post(ctx context.Context, method string, form url.Values) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.apiURL+method, strings.NewReader(form.Encode()))
	if err != nil {
		return errBadURL
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// In the header, as Slack's pages prefer: a form is what gets dumped
	// and logged.
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch ra := resp.Header.Get("Retry-After"); {
	case resp.StatusCode == http.StatusTooManyRequests && ra != "":
		secs, perr := strconv.ParseFloat(ra, 64)
		if perr != nil || secs < 0 {
			return goslack.StatusCodeError{Code: resp.StatusCode, Status: resp.Status}
		}
		return &goslack.RateLimitedError{RetryAfter: time.Duration(secs * float64(time.Second))}
	case resp.StatusCode != http.StatusOK:
		return goslack.StatusCodeError{Code: resp.StatusCode, Status: resp.Status}
	}
	var body struct {
		OK       bool   `json:"ok"`
		Error    string `json:"error"`
		Needed   string `json:"needed"`
		Provided string `json:"provided"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return errNoAnswer
	}
	if !body.OK {
		return goslack.SlackErrorResponse{Err: body.Error, Needed: body.Needed, Provided: body.Provided}
	}
	return nil
}
