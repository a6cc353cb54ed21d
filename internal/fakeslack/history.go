package fakeslack

import (
	"encoding/base64"
	"math"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Slack's conversations.history page sizes: a missing limit is 100, and
// anything above 999 is served as 999.
const (
	defaultHistoryLimit = 100
	maxHistoryLimit     = 999
)

// cursorPrefix is what Slack's history cursors say once base64-decoded.
const cursorPrefix = "next_ts:"

// index files a new message where conversations.history will find it:
// top-level messages in their channel's list, thread replies under their
// root. Ephemerals and private file shares are in no history. Since
// timestamps only grow, appending keeps every list in ts order, which is what
// lets a page be found by binary search. Callers hold s.mu.
func (s *Server) index(r *record) {
	switch {
	case r.Ephemeral || r.Channel == "":
	case r.ThreadTS == "":
		s.history[r.Channel] = append(s.history[r.Channel], r)
	default:
		if root := s.byKey[msgKey{r.Channel, r.ThreadTS}]; root != nil && root.ThreadTS == "" && !root.Ephemeral {
			root.replies = append(root.replies, r)
		}
	}
}

// conversationsHistory serves a channel's top-level messages newest first,
// a page at a time. Deleted messages are left out (Slack would keep a
// tombstone for a deleted root with replies); thread replies are counted on
// their root, not listed. A page costs O(log n + limit), not O(n): the cursor
// is a timestamp found by binary search in the channel's list.
func (s *Server) conversationsHistory(p url.Values) (map[string]any, *apiError) {
	channel := p.Get("channel")
	if channel == "" {
		return nil, &apiError{"channel_not_found", "channel is required"}
	}
	limit, err := strconv.Atoi(p.Get("limit"))
	if err != nil || limit < 1 {
		limit = defaultHistoryLimit
	}
	limit = min(limit, maxHistoryLimit)
	inclusive := p.Get("inclusive") == "1" || p.Get("inclusive") == "true"
	// Both ends become inclusive bounds in microseconds.
	lo, hi := int64(0), int64(math.MaxInt64)
	if v := p.Get("oldest"); v != "" {
		t, ok := tsMicros(v)
		if !ok {
			return nil, &apiError{"invalid_ts_oldest", "oldest is not a Slack timestamp"}
		}
		lo = t
		if !inclusive {
			lo++
		}
	}
	if v := p.Get("latest"); v != "" {
		t, ok := tsMicros(v)
		if !ok {
			return nil, &apiError{"invalid_ts_latest", "latest is not a Slack timestamp"}
		}
		hi = t
		if !inclusive {
			hi--
		}
	}
	if v := p.Get("cursor"); v != "" {
		t, ok := decodeCursor(v)
		if !ok {
			return nil, &apiError{"invalid_cursor", "cursor is not one this method returned"}
		}
		hi = min(hi, t) // the cursor names the next message to return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	// The membership rule is the one file shares follow.
	if aerr := s.canShareIn(channel); aerr != nil {
		return nil, aerr
	}
	list := s.history[channel]
	i := sort.Search(len(list), func(i int) bool { return storedMicros(list[i]) > hi })
	msgs := make([]*wireMessage, 0, min(limit, i))
	next := ""
	for i--; i >= 0; i-- {
		r := list[i]
		t := storedMicros(r)
		if t < lo {
			break
		}
		if r.Deleted {
			continue
		}
		if len(msgs) == limit {
			next = encodeCursor(t)
			break
		}
		msgs = append(msgs, s.historyWire(r))
	}
	return map[string]any{
		"messages":          msgs,
		"has_more":          next != "",
		"pin_count":         0,
		"response_metadata": map[string]any{"next_cursor": next},
	}, nil
}

// historyWire renders a top-level message as history lists it: with its
// latest text, and, when it has live replies, the thread fields Slack puts
// on a thread's root. Edits replace a record's fields rather than change
// them in place, so the result may be encoded after s.mu is released. Callers
// hold s.mu.
func (s *Server) historyWire(r *record) *wireMessage {
	w := s.wire(r.Message)
	var users []string
	n, latest := 0, ""
	for _, rep := range r.replies {
		if rep.Deleted {
			continue
		}
		n, latest = n+1, rep.TS
		u := rep.Author
		if u == "" {
			u = BotUserID
		}
		if !slices.Contains(users, u) {
			users = append(users, u)
		}
	}
	if n > 0 {
		w.ThreadTS, w.ReplyCount, w.ReplyUsersCount, w.ReplyUsers, w.LatestReply = r.TS, n, len(users), users, latest
	}
	return w
}

// tsMicros parses a Slack timestamp ("1764300000.000100", or whole seconds)
// into microseconds.
func tsMicros(ts string) (int64, bool) {
	sec, frac, _ := strings.Cut(ts, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/1_000_000 || len(frac) > 6 {
		return 0, false
	}
	var f int64
	if frac != "" {
		f, err = strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
		if err != nil || f < 0 {
			return 0, false
		}
	}
	return n*1_000_000 + f, true
}

// storedMicros is tsMicros of a timestamp nextTS made, which always parses.
func storedMicros(r *record) int64 {
	t, _ := tsMicros(r.TS)
	return t
}

// encodeCursor makes a cursor shaped like Slack's: base64 of
// "next_ts:<microseconds>", the timestamp of the next message to return.
func encodeCursor(micros int64) string {
	return base64.StdEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(micros, 10)))
}

func decodeCursor(c string) (int64, bool) {
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	v, ok := strings.CutPrefix(string(b), cursorPrefix)
	if !ok {
		return 0, false
	}
	t, err := strconv.ParseInt(v, 10, 64)
	return t, err == nil && t >= 0
}
