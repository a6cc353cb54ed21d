package fakegraph

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// logPosition is where a page of a log (sign-ins, directory audits) ended:
// the time of its last entry and that entry's insertion number. A skiptoken
// carries it, so entries logged between pages neither repeat nor shift the
// rest.
type logPosition struct {
	at  time.Time
	seq int64
}

// token is p as a skiptoken of the log whose tokens start with prefix.
func (p logPosition) token(prefix string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(prefix + strconv.FormatInt(p.at.UnixNano(), 10) + ":" + strconv.FormatInt(p.seq, 10)))
}

// decodeLogPosition reads a skiptoken made by token with the same prefix.
func decodeLogPosition(prefix, tok string) (logPosition, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	rest, ok := strings.CutPrefix(string(raw), prefix)
	if err != nil || !ok {
		return logPosition{}, false
	}
	at, seq, ok := strings.Cut(rest, ":")
	nanos, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(seq, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return logPosition{}, false
	}
	return logPosition{at: time.Unix(0, nanos), seq: n}, true
}
