package fakeslack

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"gopkg.in/yaml.v3"
)

// errNoEmail is what the users.info e-mail row calls a profile without e-mail.
var errNoEmail = errors.New("no profile.email")

// TestMethodScopes: for each rule in scopes.go, the real slack-go client
// trips missing_scope, naming the scope that applies, when the token holds
// every scope of the manifest but that one, and succeeds with the manifest's.
func TestMethodScopes(t *testing.T) {
	const public, private = "C0PUBLIC", "C0PRIVATE"
	world := func(t *testing.T, scopes []string) (*Server, *slack.Client) {
		s := newServer(t, Options{Scopes: scopes,
			Users:           []User{{ID: "U1", Name: "alice", Email: "alice@example.com"}},
			Groups:          map[string][]string{"S1": {"U1"}},
			Channels:        map[string]bool{public: true, private: true},
			PrivateChannels: []string{private},
		})
		return s, apiClient(s)
	}
	post := func(s *Server, channel string) string { return s.AddMessage(Message{Channel: channel, Text: "x"}).TS }
	info := func(channel string, wantPrivate bool) func(context.Context, *Server, *slack.Client) error {
		return func(ctx context.Context, _ *Server, api *slack.Client) error {
			ch, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: channel})
			if err == nil && ch.IsPrivate != wantPrivate {
				return fmt.Errorf("%s: is_private = %v", channel, ch.IsPrivate)
			}
			return err
		}
	}
	history := func(channel string) func(context.Context, *Server, *slack.Client) error {
		return func(ctx context.Context, _ *Server, api *slack.Client) error {
			_, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: channel})
			return err
		}
	}
	for _, tc := range []struct {
		name  string
		scope string // what the call needs; "" for nothing: it then runs with no scope at all
		// without is the error the call ends in without scope, when it is
		// not missing_scope.
		without error
		call    func(ctx context.Context, s *Server, api *slack.Client) error
	}{
		{"auth.test", "", nil, func(ctx context.Context, _ *Server, api *slack.Client) error {
			_, err := api.AuthTestContext(ctx)
			return err
		}},
		{"chat.postMessage", "chat:write", nil, func(ctx context.Context, _ *Server, api *slack.Client) error {
			_, _, err := api.PostMessageContext(ctx, private, slack.MsgOptionText("x", false))
			return err
		}},
		{"chat.update", "chat:write", nil, func(ctx context.Context, s *Server, api *slack.Client) error {
			_, _, _, err := api.UpdateMessageContext(ctx, public, post(s, public), slack.MsgOptionText("y", false))
			return err
		}},
		{"chat.delete", "chat:write", nil, func(ctx context.Context, s *Server, api *slack.Client) error {
			_, _, err := api.DeleteMessageContext(ctx, public, post(s, public))
			return err
		}},
		{"chat.postEphemeral", "chat:write", nil, func(ctx context.Context, _ *Server, api *slack.Client) error {
			_, err := api.PostEphemeralContext(ctx, public, "U1", slack.MsgOptionText("x", false))
			return err
		}},
		{"users.info", "users:read", nil, func(ctx context.Context, _ *Server, api *slack.Client) error {
			_, err := api.GetUserInfoContext(ctx, "U1")
			return err
		}},
		// Slack answers without the e-mail field rather than refusing.
		{"users.info e-mail", emailScope, errNoEmail, func(ctx context.Context, _ *Server, api *slack.Client) error {
			u, err := api.GetUserInfoContext(ctx, "U1")
			if err == nil && u.Profile.Email != "alice@example.com" {
				return errNoEmail
			}
			return err
		}},
		{"users.lookupByEmail", emailScope, nil, func(ctx context.Context, _ *Server, api *slack.Client) error {
			_, err := api.GetUserByEmailContext(ctx, "alice@example.com")
			return err
		}},
		{"usergroups.users.list", "usergroups:read", nil, func(ctx context.Context, _ *Server, api *slack.Client) error {
			_, err := api.GetUserGroupMembersContext(ctx, "S1")
			return err
		}},
		{"conversations.info public", "channels:read", nil, info(public, false)},
		{"conversations.info private", "groups:read", nil, info(private, true)},
		{"conversations.history public", "channels:history", nil, history(public)},
		{"conversations.history private", "groups:history", nil, history(private)},
		{"files.getUploadURLExternal", "files:write", nil, func(ctx context.Context, _ *Server, api *slack.Client) error {
			_, err := api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "f", FileSize: 1})
			return err
		}},
		{"files.completeUploadExternal", "files:write", nil, func(ctx context.Context, s *Server, api *slack.Client) error {
			// The upload is started past the scope check, so that only the
			// completion meets it.
			up, aerr := s.filesGetUploadURLExternal(url.Values{"filename": {"f"}, "length": {"1"}})
			if aerr != nil {
				return errors.New(aerr.code)
			}
			if err := api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: up["upload_url"].(string), Content: "x", Filename: "f"}); err != nil {
				return fmt.Errorf("upload: %w", err)
			}
			_, err := api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{
				Files: []slack.FileSummary{{ID: up["file_id"].(string)}}, Channel: public})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t, 10*time.Second)
			without := slices.DeleteFunc(ManifestScopes(), func(s string) bool { return s == tc.scope })
			if tc.scope == "" {
				without = []string{}
			}
			s, api := world(t, without)
			err := tc.call(ctx, s, api)
			se, _ := errors.AsType[slack.SlackErrorResponse](err)
			switch {
			case tc.scope == "":
				if err != nil {
					t.Errorf("with no scope at all: %v", err)
				}
			case tc.without != nil:
				if !errors.Is(err, tc.without) {
					t.Errorf("without %s: %v, want %v", tc.scope, err, tc.without)
				}
			case se.Err != "missing_scope" || se.Needed != tc.scope || se.Provided != strings.Join(without, ","):
				t.Errorf("without %s: %#v", tc.scope, err)
			default:
				if c := s.Calls(); c[len(c)-1].Error != "missing_scope" {
					t.Errorf("call log: %+v", c[len(c)-1])
				}
			}

			s, api = world(t, nil) // the manifest's scopes
			if err := tc.call(ctx, s, api); err != nil {
				t.Errorf("with the manifest's scopes: %v", err)
			}
		})
	}
}

// TestEveryMethodHasScopes: no Web API method is served without its entry
// in the scope table, and the table lists no method the fake lacks.
func TestEveryMethodHasScopes(t *testing.T) {
	served, listed := slices.Sorted(maps.Keys(apiMethods)), slices.Sorted(maps.Keys(methodScopes))
	if !slices.Equal(served, listed) {
		t.Errorf("apiMethods %v, methodScopes %v", served, listed)
	}
}

// TestManifestScopes: a workspace grants by default exactly the bot scopes
// of deploy/slack-app-manifest.yaml, read here from the file on disk, and
// auth.test reports them in X-OAuth-Scopes as Slack does.
func TestManifestScopes(t *testing.T) {
	data, err := os.ReadFile("../../deploy/slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if got := ManifestScopes(); len(got) == 0 || !slices.Equal(got, m.OAuth.Scopes.Bot) {
		t.Errorf("ManifestScopes() = %v, manifest %v", got, m.OAuth.Scopes.Bot)
	}
	ManifestScopes()[0] = "changed"
	if ManifestScopes()[0] == "changed" {
		t.Error("ManifestScopes shares its slice")
	}

	s := newServer(t, Options{})
	resp, err := http.PostForm(s.APIURL()+"auth.test", url.Values{"token": {botToken}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, want := resp.Header.Get("X-OAuth-Scopes"), strings.Join(m.OAuth.Scopes.Bot, ","); got != want {
		t.Errorf("X-OAuth-Scopes = %q, want %q", got, want)
	}
}
