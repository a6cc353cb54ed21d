package request

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"strconv"
	"strings"

	"github.com/revokebot/revokebot/revoke"
	"github.com/revokebot/revokebot/store"
)

// showProgress posts the job's progress message the first time and edits it
// afterwards; it returns the message's ts.
func (b *bulkRunner) showProgress(ctx context.Context, req store.Request, ts string, p progress) string {
	if req.RootTS == "" {
		return ts
	}
	text, blocks := renderProgress(p)
	m := Message{Text: text, Blocks: blocks}
	if ts == "" {
		posted, err := b.post(ctx, req.Channel, req.RootTS, m)
		if err != nil {
			b.log.Warn("could not post the progress message", "request_id", req.ID, "error", sendCode(err))
			return ""
		}
		if err := b.store.SetProgressTS(ctx, req.ID, posted); err != nil {
			b.log.Warn("could not record the progress message", "request_id", req.ID, "error", err)
		}
		return posted
	}
	if err := b.update(ctx, req.Channel, ts, m); err != nil {
		b.log.Warn("could not update the progress message", "request_id", req.ID, "error", sendCode(err))
	}
	return ts
}

// uploadTries bounds the attempts at attaching a job's file.
const uploadTries = 5

// attachmentName is the name of a job's file of users not revoked.
func attachmentName(req store.Request) string { return "revoke-all-" + req.ID + ".csv" }

// attachUsers uploads the job's users with the given outcomes as a CSV file
// in the thread; it reports whether the upload worked.
func (b *bulkRunner) attachUsers(ctx context.Context, req store.Request, outcomes []store.Outcome) bool {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"object_id", "user_principal_name", "outcome", "attempts", "reason"})
	after := int64(0)
	for {
		users, err := b.store.UsersWith(ctx, req.ID, outcomes, after, 1000)
		if err != nil {
			b.log.Warn("could not read the job's users for the file", "request_id", req.ID, "error", err)
			return false
		}
		for _, u := range users {
			outcome := string(u.Outcome)
			if u.Outcome == store.OutcomePending {
				outcome = "not revoked"
			}
			_ = w.Write([]string{u.ID, csvSafe(u.UPN), outcome, strconv.Itoa(u.Attempts), csvSafe(u.Detail)})
		}
		if len(users) < 1000 {
			break
		}
		after = users[len(users)-1].Seq
	}
	w.Flush()
	name := attachmentName(req)
	body := buf.Bytes()
	// The file is not in the outbox (it is not an audit event: the summary
	// is, and says it is attached), so a Slack hiccup is waited out here.
	var err error
	for try := range uploadTries {
		if try > 0 && revoke.SleepContext(ctx, backoff(try, nil)) != nil {
			break
		}
		err = b.msg.Upload(ctx, req.Channel, req.RootTS, File{Name: name, Title: "Users not revoked by " + req.ID,
			Body: bytes.NewReader(body), Size: len(body)})
		var se *SendError
		if err == nil || !errors.As(err, &se) || !se.Temporary {
			break
		}
	}
	if err != nil {
		b.log.Warn("could not attach the list of users", "request_id", req.ID, "error", sendCode(err))
		return false
	}
	return true
}

// csvSafe keeps a spreadsheet from reading directory text as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
