package fakeslack

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// responseBody is what slack-go's MsgOptionResponseURL posts (a slack.Msg).
type responseBody struct {
	Text            string          `json:"text"`
	ThreadTS        string          `json:"thread_ts"`
	Blocks          json.RawMessage `json:"blocks"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
}

// handleResponseURL serves POST /response/<id>: up to five messages per URL,
// ephemeral to the person unless response_type is "in_channel".
func (s *Server) handleResponseURL(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method_not_allowed", http.StatusMethodNotAllowed)
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/response/")
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	var body responseBody
	if err := json.Unmarshal(raw, &body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_payload"})
		return
	}
	// slack-go marshals an unset Blocks as null.
	if string(body.Blocks) == "null" {
		body.Blocks = nil
	}
	done, refused := s.logCall("response_url", url.Values{
		"response_type":    {body.ResponseType},
		"text":             {body.Text},
		"blocks":           {string(body.Blocks)},
		"thread_ts":        {body.ThreadTS},
		"replace_original": {strconv.FormatBool(body.ReplaceOriginal)},
		"delete_original":  {strconv.FormatBool(body.DeleteOriginal)},
	})
	if f, ok := s.scriptedFault("response_url"); ok {
		refused(f.err)
		writeFault(w, f)
		return
	}
	if code, detail := validateBlocks(body.Blocks); code != "" {
		done(code)
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code,
			"response_metadata": map[string]any{"messages": []string{"[ERROR] " + detail}}})
		return
	}

	code := s.useResponseURL(id, body)
	done(code)
	if code != "" {
		http.Error(w, code, http.StatusNotFound)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// useResponseURL counts one use of the URL and records the message, or
// returns why the URL cannot be used.
func (s *Server) useResponseURL(id string, body responseBody) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ru := s.responses[id]
	switch {
	case ru == nil:
		return "no_such_url"
	case ru.uses >= maxResponseUses:
		return "used_url"
	}
	ru.uses++
	s.applyResponse(ru, body)
	return ""
}

// applyResponse records a response_url post. Callers hold s.mu.
func (s *Server) applyResponse(ru *responseURL, body responseBody) {
	orig := s.byKey[msgKey{ru.channel, ru.messageTS}]
	if ru.messageTS != "" && orig != nil && !orig.Deleted {
		switch {
		case body.DeleteOriginal:
			s.updateMessage(orig, func(m *Message) { m.Deleted = true })
			return
		case body.ReplaceOriginal:
			// Replacing swaps the whole message: absent blocks mean none.
			s.updateMessage(orig, func(m *Message) {
				m.Text = body.Text
				m.Blocks = body.Blocks
			})
			return
		}
	}
	ephemeral := body.ResponseType != "in_channel"
	kind := "post"
	if ephemeral {
		kind = "ephemeral"
	}
	s.addMessage(Message{
		Channel: ru.channel, ThreadTS: body.ThreadTS, Text: body.Text, Blocks: body.Blocks,
		Ephemeral: ephemeral, User: ru.user, Via: "response_url",
	}, kind)
}
