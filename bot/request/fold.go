package request

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/revokebot/revokebot/store"
)

// foldFor is how long repeated refusals of one person (on one request, or
// on none) are counted instead of recorded one by one, so that a flood of
// them cannot flood the audit log, the audit channel or a thread.
const foldFor = time.Minute

// errFolded says a refusal was counted into an earlier record's window.
var errFolded = errors.New("refusal counted with the person's recent ones")

// folder counts repeated refusals. It keeps the wall clock: it paces
// records, as the outbox paces messages.
type folder struct {
	mu     sync.Mutex
	open   map[string]*window
	closed []*window // ran their minute, not yet recorded
}

// window is one person's refusals since the first one was recorded.
type window struct {
	start    time.Time
	count    int // refusals after the first, not yet recorded
	last     string
	actor    string
	req      *store.Request
	inThread bool
}

func newFolder() *folder { return &folder{open: map[string]*window{}} }

// maxWindows bounds the folder's memory under a flood of many people;
// past it, refusals are recorded one by one again.
const maxWindows = 10000

// add reports whether a refusal falls in an open window (and counts it
// there), or opens a window for it, to be recorded now.
func (f *folder) add(actor string, req *store.Request, detail string, inThread bool) bool {
	key := actor
	if req != nil {
		key += "|" + req.ID
	}
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if w, ok := f.open[key]; ok {
		if now.Sub(w.start) < foldFor {
			w.count++
			w.last = detail
			return true
		}
		if w.count > 0 {
			f.closed = append(f.closed, w)
		}
	}
	if len(f.open) < maxWindows {
		f.open[key] = &window{start: now, actor: actor, req: req, inThread: inThread}
	}
	return false
}

// count adds a refusal to its person's window without recording it now
// (there was no room to), opening the window when there is none.
func (f *folder) count(actor, detail string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w, ok := f.open[actor]
	if !ok {
		if len(f.open) >= maxWindows {
			return
		}
		w = &window{start: time.Now(), actor: actor}
		f.open[actor] = w
	}
	w.count++
	w.last = detail
}

// due takes the windows that have run their minute (all of them when all
// is set) and have refusals to record.
func (f *folder) due(all bool) []*window {
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.closed
	f.closed = nil
	for k, w := range f.open {
		if all || now.Sub(w.start) >= foldFor {
			delete(f.open, k)
			if w.count > 0 {
				out = append(out, w)
			}
		}
	}
	return out
}

// recordFolded writes one record for each closed window's count.
func (b *teller) recordFolded(ctx context.Context, all bool) {
	for _, w := range b.fold.due(all) {
		detail := fmt.Sprintf("<@%s> was refused %s more in the minute after %s; the last: %s",
			w.actor, plural(w.count, "time"), clock(w.start), w.last)
		e := store.Event{Time: b.now().UTC(), Event: string(EvRefused), Actor: w.actor, Detail: detail}
		if w.req != nil {
			e = b.event(*w.req, EvRefused, w.actor, detail)
		}
		_, _ = b.append(ctx, e, b.tells(w.req, w.inThread && w.req != nil && threaded(*w.req), false))
	}
}

// foldLoop records closed windows until ctx ends, then records the rest.
func (b *teller) foldLoop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			b.recordFolded(context.WithoutCancel(ctx), true)
			return
		case <-t.C:
			b.recordFolded(ctx, false)
		}
	}
}

// recordedWords is what a refused person is told about the record of it.
func recordedWords(err error) string {
	switch {
	case err == nil:
		return " This attempt was recorded."
	case errors.Is(err, errFolded):
		return " This attempt was recorded with your other recent ones."
	}
	return ""
}
