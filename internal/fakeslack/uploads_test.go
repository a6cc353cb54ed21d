package fakeslack

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

const failuresCSV = "object_id,user_principal_name,outcome\nu1,alice@contoso.com,failed\nu2,bob@contoso.com,failed\n"

func TestUploadFileIntoThread(t *testing.T) {
	s := newServer(t, Options{Channels: map[string]bool{"C1": true}})
	api := apiClient(s)
	ctx := testCtx(t, 10*time.Second)
	_, root, err := api.PostMessage("C1", slack.MsgOptionText("revoke all", false))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := api.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: strings.NewReader(failuresCSV), FileSize: len(failuresCSV), Filename: "failures.csv",
		Title: "Users not revoked", InitialComment: "2 users failed", Channel: "C1", ThreadTimestamp: root,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sum.ID, "F") || sum.Title != "Users not revoked" {
		t.Errorf("summary = %+v", sum)
	}

	th := s.Thread("C1", root)
	if len(th) != 1 {
		t.Fatalf("thread = %+v", th)
	}
	m := th[0]
	want := []FileRef{{ID: sum.ID, Name: "failures.csv", Title: "Users not revoked"}}
	if m.Via != "files.completeUploadExternal" || m.Text != "2 users failed [file: failures.csv]" ||
		len(m.Files) != 1 || m.Files[0] != want[0] || m.Ephemeral {
		t.Errorf("thread message = %+v", m)
	}
	files := s.Files()
	wantFile := File{ID: sum.ID, Name: "failures.csv", Title: "Users not revoked", Channel: "C1", ThreadTS: root,
		InitialComment: "2 users failed", MessageTS: m.TS}
	if len(files) != 1 || string(files[0].Content) != failuresCSV {
		t.Fatalf("files = %+v", files)
	}
	got := files[0]
	got.Content = nil
	if !reflect.DeepEqual(got, wantFile) {
		t.Errorf("file\n got %+v\nwant %+v", got, wantFile)
	}
	files[0].Content[0] = 'X' // a copy: the server's bytes stay as uploaded
	if c := s.Files()[0].Content; string(c) != failuresCSV {
		t.Errorf("Files shares its bytes: %.20q", c)
	}

	var methods []string
	for _, c := range s.Calls() {
		methods = append(methods, c.Method)
	}
	if got := strings.Join(methods, ","); got !=
		"chat.postMessage,files.getUploadURLExternal,upload,files.completeUploadExternal" {
		t.Errorf("calls = %s", got)
	}
	if c := s.Calls()[1]; c.Params.Get("filename") != "failures.csv" || c.Params.Get("length") != strconv.Itoa(len(failuresCSV)) {
		t.Errorf("getUploadURLExternal params = %v", c.Params)
	}
	if !strings.Contains(s.Transcript(), `"2 users failed [file: failures.csv]"`) {
		t.Errorf("transcript:\n%s", s.Transcript())
	}
}

func TestUploadFileVariants(t *testing.T) {
	s := newServer(t, Options{})
	api := apiClient(s)
	ctx := testCtx(t, 10*time.Second)
	events := make(chan Event, 10)
	s.OnEvent(func(e Event) { events <- e })

	// Content instead of a Reader, several channels, blocks instead of a comment.
	_, err := api.UploadFileContext(ctx, slack.UploadFileParameters{
		Content: "a,b\n", FileSize: 4, Filename: "x.csv", Channels: []string{"C1", "C2"},
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewDividerBlock()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages()
	if len(msgs) != 2 || msgs[0].Channel != "C1" || msgs[1].Channel != "C2" || msgs[0].Text != "[file: x.csv]" ||
		!strings.Contains(string(msgs[1].Blocks), "divider") || msgs[1].Files[0].Name != "x.csv" {
		t.Errorf("messages = %+v", msgs)
	}
	if e := recv(t, events, "post"); e.Kind != "post" || len(e.Message.Files) != 1 {
		t.Errorf("event = %+v", e)
	}
	files := s.Files()
	if len(files) != 2 || files[0].ID != files[1].ID || files[0].MessageTS != msgs[0].TS || files[1].Channel != "C2" {
		t.Errorf("files = %+v", files)
	}

	// Without a channel the file stays private: recorded, shown nowhere.
	if _, err := api.UploadFileContext(ctx, slack.UploadFileParameters{Content: "p", FileSize: 1, Filename: "p.txt"}); err != nil {
		t.Fatal(err)
	}
	if f := s.Files(); len(f) != 3 || f[2].Channel != "" || f[2].MessageTS != "" || len(s.Messages()) != 2 {
		t.Errorf("private file: %+v", f)
	}

	// Slack takes a raw body at the upload_url too.
	u, err := api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "raw.bin", FileSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(u.UploadURL, "application/octet-stream", strings.NewReader("raw"))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("raw upload: %v %v", resp, err)
	}
	resp.Body.Close()
	if _, err := api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{
		Files: []slack.FileSummary{{ID: u.FileID}}, Channel: "C1"}); err != nil {
		t.Fatal(err)
	}
	if f := s.Files(); string(f[3].Content) != "raw" || f[3].Name != "raw.bin" {
		t.Errorf("raw file = %+v", f[3])
	}
}

func TestUploadFileErrors(t *testing.T) {
	s := newServer(t, Options{Channels: map[string]bool{"C1": true, "C2": false}})
	api := apiClient(s)
	ctx := testCtx(t, 10*time.Second)
	upload := func(api *slack.Client, channel string) error {
		_, err := api.UploadFileContext(ctx, slack.UploadFileParameters{
			Content: failuresCSV, FileSize: len(failuresCSV), Filename: "f.csv", Channel: channel,
		})
		return err
	}
	for _, tc := range []struct {
		api     *slack.Client
		channel string
		want    string
	}{
		{slack.New("", slack.OptionAPIURL(s.APIURL())), "C1", "invalid_auth"},
		{slack.New("xoxb-wrong", slack.OptionAPIURL(s.APIURL())), "C1", "invalid_auth"},
		{slack.New(appToken, slack.OptionAPIURL(s.APIURL())), "C1", "not_allowed_token_type"},
		{api, "C404", "channel_not_found"},
		{api, "C2", "not_in_channel"},
	} {
		if err := upload(tc.api, tc.channel); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("upload to %s: %v, want %s", tc.channel, err, tc.want)
		}
	}
	if f, m := s.Files(), s.Messages(); len(f) != 0 || len(m) != 0 {
		t.Errorf("refused uploads left files %+v, messages %+v", f, m)
	}

	// files.completeUploadExternal wants a known, uploaded, not yet completed file.
	complete := func(id string) error {
		_, err := api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{
			Files: []slack.FileSummary{{ID: id}}, Channel: "C1"})
		return err
	}
	if err := complete("F404"); err == nil || err.Error() != "file_not_found" {
		t.Errorf("unknown file: %v", err)
	}
	u, err := api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "f.csv", FileSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := complete(u.FileID); err == nil || err.Error() != "file_not_found" {
		t.Errorf("nothing uploaded: %v", err)
	}
	toURL := func(content string) error {
		return api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: u.UploadURL, Content: content, Filename: "f.csv"})
	}
	var sce slack.StatusCodeError
	if err := toURL("abcd"); !errors.As(err, &sce) || sce.Code != http.StatusBadRequest {
		t.Errorf("4 bytes for 3: %v", err)
	}
	if err := toURL("abc"); err != nil {
		t.Fatalf("after a refused upload the URL still takes the file: %v", err)
	}
	if err := toURL("abc"); !errors.As(err, &sce) || sce.Code != http.StatusGone {
		t.Errorf("second upload to the same URL: %v", err)
	}
	if err := complete(u.FileID); err != nil {
		t.Fatal(err)
	}
	if err := complete(u.FileID); err == nil || err.Error() != "file_not_found" {
		t.Errorf("completed twice: %v", err)
	}
	if err := api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: s.base + "/upload/F404", Content: "x"}); !errors.As(err, &sce) ||
		sce.Code != http.StatusNotFound {
		t.Errorf("unknown upload_url: %v", err)
	}

	// Malformed arguments, as slack-go would never send them.
	for _, form := range []url.Values{
		{"filename": {"x"}, "length": {"0"}},
		{"length": {"3"}},
	} {
		form.Set("token", botToken)
		if body := rawPost(t, s.APIURL()+"files.getUploadURLExternal", "", form); !strings.Contains(body, "invalid_arguments") {
			t.Errorf("%v: %s", form, body)
		}
	}
	for _, form := range []url.Values{
		{"files": {"not json"}},
		{"files": {"[]"}},
		{"files": {`[{"id":"F1"}]`}, "channels": {"C1,C1b"}, "thread_ts": {"1.2"}},
	} {
		form.Set("token", botToken)
		if body := rawPost(t, s.APIURL()+"files.completeUploadExternal", "", form); !strings.Contains(body, "invalid_arguments") {
			t.Errorf("%v: %s", form, body)
		}
	}
}

func TestUploadScopeAndFaults(t *testing.T) {
	s := newServer(t, Options{Scopes: []string{"commands", "chat:write"}})
	ctx := testCtx(t, 10*time.Second)
	_, err := apiClient(s).GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "f", FileSize: 1})
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "missing_scope" || se.Needed != "files:write" || se.Provided != "commands,chat:write" {
		t.Errorf("without files:write: %#v", err)
	}
	if _, _, err := apiClient(s).PostMessage("C1", slack.MsgOptionText("x", false)); err != nil {
		t.Errorf("chat.postMessage asks only chat:write: %v", err)
	}

	s = newServer(t, Options{})
	api := apiClient(s)
	u, err := api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "f", FileSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	s.FailNext("upload", "ratelimited", 1, 3)
	err = api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: u.UploadURL, Content: "x", Filename: "f"})
	if rl, ok := errors.AsType[*slack.RateLimitedError](err); !ok || rl.RetryAfter != 3*time.Second {
		t.Errorf("rate-limited upload: %#v", err)
	}
	s.FailNext("upload", "internal_error", 1, 0)
	err = api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: u.UploadURL, Content: "x", Filename: "f"})
	if sce, ok := errors.AsType[slack.StatusCodeError](err); !ok || sce.Code != http.StatusInternalServerError {
		t.Errorf("failed upload: %#v", err)
	}
	if err := api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: u.UploadURL, Content: "x", Filename: "f"}); err != nil {
		t.Errorf("after the faults: %v", err)
	}
	var codes []string
	for _, c := range s.Calls() {
		if c.Method == "upload" {
			codes = append(codes, c.Error)
		}
	}
	if strings.Join(codes, ",") != "ratelimited,internal_error," {
		t.Errorf("upload calls = %q", codes)
	}
}
