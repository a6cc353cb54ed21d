package fakeslack

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// File is one share of a file uploaded through Slack's external upload flow
// (files.getUploadURLExternal, the POST to its upload_url, then
// files.completeUploadExternal). A file completed into several channels is
// one File per channel; one completed without a channel stays private and is
// a single File with Channel empty.
type File struct {
	ID, Name, Title string
	Channel         string
	ThreadTS        string
	InitialComment  string
	Content         []byte
	// MessageTS is the message that shows the file in Channel.
	MessageTS string
}

// FileRef names a file shown in a message; the bytes are in Server.Files, so
// that message snapshots stay cheap however large the file.
type FileRef struct {
	ID, Name, Title string
}

// upload is a file between files.getUploadURLExternal and its completion.
type upload struct {
	name      string
	length    int
	content   []byte
	uploaded  bool
	completed bool
}

// Files returns a copy of every file share so far, oldest first.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]File, len(s.shared))
	for i, f := range s.shared {
		f.Content = slices.Clone(f.Content)
		out[i] = f
	}
	return out
}

func (s *Server) filesGetUploadURLExternal(p url.Values) (map[string]any, *apiError) {
	name := p.Get("filename")
	length, err := strconv.Atoi(p.Get("length"))
	if name == "" || err != nil || length <= 0 {
		return nil, &apiError{"invalid_arguments", "filename and a positive length are required"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := fmt.Sprintf("F%08d", s.nextSeq())
	s.uploads[id] = &upload{name: name, length: length}
	// On the API's own host: slack-go sends the token along with the
	// upload and refuses any other host that is not https Slack.
	return map[string]any{"upload_url": s.base + "/upload/" + id, "file_id": id}, nil
}

// handleUpload takes a file's bytes at its upload_url. slack-go posts them as
// the multipart field "file"; Slack also takes a raw body, and so does this.
// Like Slack's upload host it answers in plain text, not the Web API's JSON.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method_not_allowed", http.StatusMethodNotAllowed)
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	done, refused := s.logCall("upload", url.Values{"file_id": {id}})
	if f, ok := s.scriptedFault("upload"); ok {
		refused(f.err)
		if f.err == "ratelimited" || f.status != 0 {
			writeFault(w, f)
			return
		}
		http.Error(w, f.err, http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	up := s.uploads[id]
	code, status := uploadState(up)
	s.mu.Unlock()
	if code != "" {
		done(code)
		http.Error(w, code, status)
		return
	}
	// One byte past the announced length is enough to tell it was exceeded.
	body, err := uploadBody(r, int64(up.length)+1)
	if err == nil && len(body) != up.length {
		err = fmt.Errorf("length_mismatch: got %d bytes, files.getUploadURLExternal announced %d", len(body), up.length)
	}
	if err != nil {
		code, _, _ = strings.Cut(err.Error(), ":")
		done(code)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	// Checked again: another POST to the same URL may have won meanwhile.
	if code, status = uploadState(up); code == "" {
		up.content, up.uploaded = body, true
	}
	s.mu.Unlock()
	done(code)
	if code != "" {
		http.Error(w, code, status)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "OK - %d", len(body))
}

// uploadState says why an upload_url can no longer take bytes. Callers hold s.mu.
func uploadState(up *upload) (code string, status int) {
	switch {
	case up == nil:
		return "no_such_upload", http.StatusNotFound
	case up.uploaded || up.completed:
		return "upload_url_used", http.StatusGone
	}
	return "", 0
}

// uploadBody reads at most limit bytes of the file from a multipart or raw body.
func uploadBody(r *http.Request, limit int64) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return io.ReadAll(io.LimitReader(r.Body, limit))
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fmt.Errorf("invalid_form_data: %v", err)
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("no_file: the multipart body has no \"file\" field")
		}
		if err != nil {
			return nil, fmt.Errorf("invalid_form_data: %v", err)
		}
		if part.FormName() == "file" {
			return io.ReadAll(io.LimitReader(part, limit))
		}
	}
}

func (s *Server) filesCompleteUploadExternal(p url.Values) (map[string]any, *apiError) {
	var refs []FileRef
	if err := json.Unmarshal([]byte(p.Get("files")), &refs); err != nil || len(refs) == 0 {
		return nil, &apiError{"invalid_arguments", "files must be a non-empty JSON array of {id, title}"}
	}
	channels := shareChannels(p)
	threadTS := p.Get("thread_ts")
	if threadTS != "" && len(channels) > 1 {
		return nil, &apiError{"invalid_arguments", "thread_ts needs exactly one channel"}
	}
	comment := p.Get("initial_comment")
	var blocks json.RawMessage
	// Slack ignores blocks when there is an initial_comment.
	if _, ok := p["blocks"]; ok && comment == "" {
		blocks = json.RawMessage(p.Get("blocks"))
		if code, detail := validateBlocks(blocks); code != "" {
			return nil, &apiError{code, detail}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range channels {
		if aerr := s.canShareIn(ch); aerr != nil {
			return nil, aerr
		}
	}
	// Everything is checked before anything changes, so a refused call
	// leaves every upload as it was and can be retried.
	ups := make([]*upload, len(refs))
	for i, ref := range refs {
		up := s.uploads[ref.ID]
		switch {
		case up == nil:
			return nil, &apiError{"file_not_found", "no file " + ref.ID + " from files.getUploadURLExternal"}
		case up.completed || slices.ContainsFunc(refs[:i], func(r FileRef) bool { return r.ID == ref.ID }):
			return nil, &apiError{"file_not_found", ref.ID + " was already completed"}
		case !up.uploaded:
			return nil, &apiError{"file_not_found", "nothing was uploaded to the upload_url of " + ref.ID}
		}
		refs[i].Name = up.name
		ups[i] = up
	}
	out := make([]map[string]any, len(refs))
	for i, up := range ups {
		up.completed = true
		out[i] = map[string]any{"id": refs[i].ID, "title": refs[i].Title}
	}
	if len(channels) == 0 {
		channels = []string{""} // private: recorded, but shown nowhere
	}
	for _, ch := range channels {
		var ts string
		if ch != "" {
			ts = s.addMessage(Message{Channel: ch, ThreadTS: threadTS, Text: fileText(comment, refs),
				Blocks: blocks, Files: slices.Clone(refs), Via: "files.completeUploadExternal"}, "post").TS
		}
		for i, up := range ups {
			s.shared = append(s.shared, File{ID: refs[i].ID, Name: up.name, Title: refs[i].Title, Channel: ch,
				ThreadTS: threadTS, InitialComment: comment, Content: up.content, MessageTS: ts})
		}
	}
	return map[string]any{"files": out}, nil
}

// shareChannels merges channel_id with the comma-separated channels, which
// Slack also accepts and slack-go sends for UploadFileParameters.Channels.
func shareChannels(p url.Values) []string {
	var out []string
	for _, ch := range append([]string{p.Get("channel_id")}, strings.Split(p.Get("channels"), ",")...) {
		if ch = strings.TrimSpace(ch); ch != "" && !slices.Contains(out, ch) {
			out = append(out, ch)
		}
	}
	return out
}

// canShareIn applies Options.Channels, when set. Callers hold s.mu.
func (s *Server) canShareIn(channel string) *apiError {
	if s.opts.Channels == nil {
		return nil
	}
	member, known := s.opts.Channels[channel]
	switch {
	case !known:
		return &apiError{"channel_not_found", ""}
	case !member:
		return &apiError{"not_in_channel", "the bot is not a member of " + channel}
	}
	return nil
}

// fileText is the text of a file share as the fake records it: Slack's text is
// only the comment, but the names make the share readable wherever a
// transcript prints only Text.
func fileText(comment string, refs []FileRef) string {
	parts := []string{}
	if comment != "" {
		parts = append(parts, comment)
	}
	for _, r := range refs {
		parts = append(parts, "[file: "+r.Name+"]")
	}
	return strings.Join(parts, " ")
}
