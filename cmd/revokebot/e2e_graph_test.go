package main

import (
	"strings"
	"testing"

	"github.com/revokebot/revokebot/internal/fakegraph"
	"github.com/revokebot/revokebot/internal/fakeslack"
)

// TestGraphFailuresInPlainWords: each Graph failure ends the request as
// failed with the words a responder can act on.
func TestGraphFailuresInPlainWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault fakegraph.Fault
		want  string
		tries int
	}{
		{"forbidden", fakegraph.Fault{Status: 403}, "needs the application permission `User.RevokeSessions.All`", 1},
		{"not found", fakegraph.Fault{Status: 404}, "does not exist (404 Request_ResourceNotFound)", 1},
		{"throttled", fakegraph.Fault{Status: 429, RetryAfter: "0.01"}, "kept throttling revokebot (429 Too Many Requests) and it gave up after 5 tries", 5},
		{"unavailable", fakegraph.Fault{Status: 503, RetryAfter: "0.01"}, "unavailable (HTTP 503) and revokebot gave up after 5 tries", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := startEnv(t)
			card := e.request(uRequester, "alice")
			tc.fault.Method, tc.fault.PathSuffix = "POST", "/revokeSignInSessions"
			e.sb.Graph.Inject(tc.fault)
			e.click(uRequester, card, "revoke_confirm")
			e.waitAudit(e.requestID(card), "failed")
			e.waitFor("the failure in the thread", func(*fakeslack.Server) bool { return strings.Contains(e.thread(card), tc.want) })
			posts := 0
			for _, r := range e.sb.Graph.Requests() {
				if r.Method == "POST" {
					posts++
				}
			}
			if posts != tc.tries {
				t.Errorf("%d revoke requests, want %d", posts, tc.tries)
			}
			e.waitFor("the card to show the failure", func(*fakeslack.Server) bool {
				c := e.current(card)
				return len(e.sb.Slack.Buttons(c)) == 0 && strings.Contains(blocksOf(c), ":x:")
			})
		})
	}
}

// TestThrottledThenAccepted: a 429 with Retry-After is waited out and retried.
func TestThrottledThenAccepted(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	card := e.request(uRequester, "alice")
	e.sb.Graph.Inject(fakegraph.Fault{Method: "POST", Status: 429, RetryAfter: "0.2", Times: 2})
	e.click(uRequester, card, "revoke_confirm")
	e.waitAudit(e.requestID(card), "succeeded")
	var posts []fakegraph.Request
	for _, r := range e.sb.Graph.Requests() {
		if r.Method == "POST" {
			posts = append(posts, r)
		}
	}
	if len(posts) != 3 || e.sb.Graph.Revocations(aliceID) != 1 {
		t.Fatalf("%d requests, %d revocations", len(posts), e.sb.Graph.Revocations(aliceID))
	}
	if gap := posts[1].At.Sub(posts[0].At); gap < 200_000_000 {
		t.Errorf("Retry-After not honoured: retried after %v", gap)
	}
}
