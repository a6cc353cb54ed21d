package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// newLogger builds the process logger. Whatever a library puts in an error,
// the values of the secrets listed are replaced before a line is written:
// a second guard behind code that never logs them on purpose.
func newLogger(w io.Writer, format string, secrets ...string) *slog.Logger {
	var keep []string
	for _, s := range secrets {
		if len(s) >= 8 {
			keep = append(keep, s)
		}
	}
	scrub := func(s string) string {
		for _, secret := range keep {
			s = strings.ReplaceAll(s, secret, "[REDACTED]")
		}
		return s
	}
	opts := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		switch a.Value.Kind() {
		case slog.KindString:
			return slog.String(a.Key, scrub(a.Value.String()))
		case slog.KindAny:
			if err, ok := a.Value.Any().(error); ok {
				return slog.String(a.Key, scrub(err.Error()))
			}
			return slog.String(a.Key, scrub(fmt.Sprint(a.Value.Any())))
		}
		return a
	}}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
