package fakeslack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// File is a file shared into a conversation through Slack's external upload
// flow (files.getUploadURLExternal, the upload, files.completeUploadExternal).
type File struct {
	ID, Name, Title string
	Channel         string
	ThreadTS        string
	InitialComment  string
	Content         []byte
}

// upload is a file between getUploadURLExternal and completeUploadExternal.
type upload struct {
	name     string
	length   int
	content  []byte
	uploaded bool
	shared   bool
}

// uploads are the files of the external upload flow, under their own lock.
type uploads struct {
	mu     sync.Mutex
	byID   map[string]*upload
	shared []File
}

func (s *Server) uploads() *uploads { return s.files }

// Files returns the files shared so far, oldest first.
func (s *Server) Files() []File {
	u := s.uploads()
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]File, len(u.shared))
	for i, f := range u.shared {
		f.Content = append([]byte(nil), f.Content...)
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
	s.idSeq++
	id := fmt.Sprintf("F%08d", s.idSeq)
	s.mu.Unlock()
	u := s.uploads()
	u.mu.Lock()
	u.byID[id] = &upload{name: name, length: length}
	u.mu.Unlock()
	// On the API's host, as slack-go sends its token only there.
	return map[string]any{"upload_url": s.base + "/upload/" + id, "file_id": id}, nil
}

// handleUpload takes the file's bytes: slack-go posts them as a multipart
// form field named "file".
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	f, _, err := r.FormFile("file")
	if err != nil {
		http.Error(w, "no file", http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(f)
	if err != nil {
		http.Error(w, "unreadable file", http.StatusBadRequest)
		return
	}
	u := s.uploads()
	u.mu.Lock()
	defer u.mu.Unlock()
	up, ok := u.byID[id]
	switch {
	case !ok || up.uploaded:
		http.Error(w, "unknown or used upload URL", http.StatusNotFound)
	case len(body) != up.length:
		http.Error(w, fmt.Sprintf("length %d, announced %d", len(body), up.length), http.StatusBadRequest)
	default:
		up.content, up.uploaded = body, true
		fmt.Fprintf(w, "OK - %d", len(body))
	}
}

func (s *Server) filesCompleteUploadExternal(p url.Values) (map[string]any, *apiError) {
	var files []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(p.Get("files")), &files); err != nil || len(files) == 0 {
		return nil, &apiError{"invalid_arguments", "files must be a JSON array of {id, title}"}
	}
	channel := p.Get("channel_id")
	if channel != "" && s.opts.Channels != nil {
		if _, known := s.opts.Channels[channel]; !known {
			return nil, &apiError{"channel_not_found", ""}
		}
	}
	u := s.uploads()
	u.mu.Lock()
	var out []map[string]any
	var done []File
	for _, f := range files {
		up, ok := u.byID[f.ID]
		if !ok || !up.uploaded || up.shared {
			u.mu.Unlock()
			return nil, &apiError{"file_not_found", f.ID}
		}
		up.shared = true
		file := File{ID: f.ID, Name: up.name, Title: f.Title, Channel: channel, ThreadTS: p.Get("thread_ts"),
			InitialComment: p.Get("initial_comment"), Content: up.content}
		done = append(done, file)
		out = append(out, map[string]any{"id": f.ID, "title": f.Title})
	}
	u.shared = append(u.shared, done...)
	u.mu.Unlock()
	if channel != "" {
		s.mu.Lock()
		for _, f := range done {
			text := "[file: " + f.Name + "]"
			if f.InitialComment != "" {
				text = f.InitialComment + " " + text
			}
			s.addMessage(Message{Channel: channel, ThreadTS: f.ThreadTS, Text: text, Via: "files.completeUploadExternal"}, "post")
		}
		s.mu.Unlock()
	}
	return map[string]any{"files": out}, nil
}
