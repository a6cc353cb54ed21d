package fakegraph

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

const rulesPath = "/users/1/mailFolders/inbox/messageRules"

func seedRules(s *Server) {
	s.AddInboxRules("1",
		InboxRule{ID: "fwd", DisplayName: "x", IsEnabled: true, ForwardTo: []string{"mallory@evil.example"},
			ForwardAsAttachmentTo: []string{"m2@evil.example"}, Delete: true, StopProcessingRules: true, FromContains: []string{"ceo"}},
		InboxRule{ID: "ro", DisplayName: "Client rule", IsEnabled: true, IsReadOnly: true, MoveToFolder: "AAMk"},
		InboxRule{DisplayName: "Redirect", RedirectTo: []string{"r@evil.example"}, MarkAsRead: true, PermanentDelete: true},
	)
}

func TestListInboxRules(t *testing.T) {
	s := newTestServer(t, Options{})
	seedRules(s)
	r := get(t, s, rulesPath, nil)
	if r.status != 200 || r.body["@odata.context"] != "https://graph.microsoft.com/v1.0/$metadata#users('1')/mailFolders('inbox')/messageRules" {
		t.Fatalf("%d %v", r.status, r.body)
	}
	v := r.body["value"].([]any)
	if len(v) != 3 || r.body["@odata.nextLink"] != nil {
		t.Fatalf("%v", r.body)
	}
	fwd := v[0].(map[string]any)
	want := `{"actions":{"delete":true,"forwardAsAttachmentTo":[{"emailAddress":{"address":"m2@evil.example","name":"m2@evil.example"}}],` +
		`"forwardTo":[{"emailAddress":{"address":"mallory@evil.example","name":"mallory@evil.example"}}],"stopProcessingRules":true},` +
		`"conditions":{"senderContains":["ceo"]},"displayName":"x","hasError":false,"id":"fwd","isEnabled":true,"isReadOnly":false,"sequence":1}`
	if got := mustJSON(t, fwd); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	third := v[2].(map[string]any)
	if third["sequence"] != float64(3) || third["id"] == "" || asMap(third["actions"])["redirectTo"] == nil || asMap(third["actions"])["permanentDelete"] != true {
		t.Errorf("third %v", third)
	}
	// $top pages, and the next link carries on.
	r = get(t, s, rulesPath, url.Values{"$top": {"2"}})
	next, _ := r.body["@odata.nextLink"].(string)
	if len(r.body["value"].([]any)) != 2 || next == "" {
		t.Fatalf("$top: %v", r.body)
	}
	if r = do(t, s, http.MethodGet, next, nil, nil); len(r.body["value"].([]any)) != 1 {
		t.Errorf("next page %v", r.body)
	}
	if r = get(t, s, rulesPath, url.Values{"$filter": {"isEnabled eq true"}}); r.status != 400 {
		t.Errorf("$filter: %d", r.status)
	}
}

func TestPatchInboxRule(t *testing.T) {
	s := newTestServer(t, Options{})
	seedRules(s)
	s.AddUser(User{ID: "5", UserPrincipalName: "five@contoso.com"})
	s.SetNoMailbox("five@contoso.com")
	hdr := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name, path, body string
		status           int
		code             string
	}{
		{"disable", rulesPath + "/fwd", `{"@odata.type":"#microsoft.graph.messageRule","isEnabled":false}`, 200, ""},
		{"other property", rulesPath + "/fwd", `{"isEnabled":false,"displayName":"y"}`, 400, "BadRequest"},
		{"not a boolean", rulesPath + "/fwd", `{"isEnabled":"no"}`, 400, "RequestBodyRead"},
		{"read-only rule", rulesPath + "/ro", `{"isEnabled":false}`, 403, "ErrorAccessDenied"},
		{"unknown rule", rulesPath + "/nope", `{"isEnabled":false}`, 404, "ErrorItemNotFound"},
		{"unknown user", "/users/nobody/mailFolders/inbox/messageRules/fwd", `{"isEnabled":false}`, 404, "ErrorInvalidUser"},
		{"no mailbox", "/users/5/mailFolders/inbox/messageRules/fwd", `{"isEnabled":false}`, 404, "MailboxNotEnabledForRESTAPI"},
	}
	for _, tt := range tests {
		r := do(t, s, http.MethodPatch, tt.path, hdr, []byte(tt.body))
		if r.status != tt.status || r.errorCode() != tt.code {
			t.Errorf("%s: %d %v", tt.name, r.status, r.body)
		}
		if tt.status == 200 && (r.body["isEnabled"] != false || r.body["id"] != "fwd") {
			t.Errorf("%s: %v", tt.name, r.body)
		}
		if tt.code == "BadRequest" && !strings.Contains(r.errorMessage(), "fakegraph") {
			t.Errorf("%s: %q should name the fake's limit", tt.name, r.errorMessage())
		}
	}
	rules := s.InboxRules("1")
	if rules[0].IsEnabled || !rules[1].IsEnabled || rules[0].DisplayName != "x" {
		t.Errorf("rules %+v", rules)
	}
	if r := get(t, s, "/users/5/mailFolders/inbox/messageRules", nil); r.status != 404 || r.errorCode() != "MailboxNotEnabledForRESTAPI" ||
		r.errorMessage() != msgNoMailbox {
		t.Errorf("no mailbox: %d %v", r.status, r.body)
	}
}

// TestPatchInboxRuleSDK disables a rule the way the bot will.
func TestPatchInboxRuleSDK(t *testing.T) {
	s := newTestServer(t, Options{})
	seedRules(s)
	rules := sdkUsers(newSDKAdapter(t, s)).ByUserId("alice@contoso.com").MailFolders().ByMailFolderId("inbox").MessageRules()
	list, err := rules.Get(context.Background(), nil)
	if err != nil || len(list.GetValue()) != 3 {
		t.Fatal(list, err)
	}
	fwd := list.GetValue()[0]
	if a := fwd.GetActions(); a == nil || len(a.GetForwardTo()) != 1 || *a.GetForwardTo()[0].GetEmailAddress().GetAddress() != "mallory@evil.example" {
		t.Errorf("actions %+v", fwd.GetActions())
	}
	body := models.NewMessageRule()
	off := false
	body.SetIsEnabled(&off)
	got, err := rules.ByMessageRuleId("fwd").Patch(context.Background(), body, nil)
	if err != nil || *got.GetIsEnabled() {
		t.Fatal(got, err)
	}
	if s.InboxRules("1")[0].IsEnabled {
		t.Error("not disabled")
	}
}

// TestMailboxConcurrency holds 4 requests to one mailbox in flight: a 5th
// to it is throttled, one to another mailbox is not, and once they finish
// the mailbox answers again.
func TestMailboxConcurrency(t *testing.T) {
	s := newTestServer(t, Options{})
	s.AddInboxRules("2", InboxRule{DisplayName: "r"})
	release := make(chan struct{})
	var entered sync.WaitGroup
	entered.Add(4)
	var held atomic.Int32
	s.OnRequest(func(r Request) {
		if strings.HasPrefix(r.Path, "/v1.0/users/1/mailFolders") && held.Add(1) <= 4 {
			entered.Done()
			<-release
		}
	})
	var done sync.WaitGroup
	statuses := make([]int, 4)
	for i := range statuses {
		done.Add(1)
		go func() {
			defer done.Done()
			statuses[i] = get(t, s, rulesPath, nil).status
		}()
	}
	entered.Wait()
	r := get(t, s, "/users/alice%40contoso.com/mailFolders/inbox/messageRules", nil) // the same mailbox by UPN
	if r.status != 429 || r.errorCode() != "ApplicationThrottled" || r.errorMessage() != msgMailboxThrottled || r.header.Get("Retry-After") == "" {
		t.Errorf("5th: %d %v %v", r.status, r.header, r.body)
	}
	if r := get(t, s, "/users/2/mailFolders/inbox/messageRules", nil); r.status != 200 {
		t.Errorf("another mailbox: %d", r.status)
	}
	if r := get(t, s, "/users/1/authentication/methods", nil); r.status != 200 {
		t.Errorf("not a mailbox path: %d", r.status)
	}
	close(release)
	done.Wait()
	for i, st := range statuses {
		if st != 200 {
			t.Errorf("held request %d: %d", i, st)
		}
	}
	if r := get(t, s, rulesPath, nil); r.status != 200 {
		t.Errorf("after: %d", r.status)
	}
}
