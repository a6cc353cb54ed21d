package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// lockStore keeps a second revokebot off the same SQLite file: both would
// take the same Socket Mode events, and each would treat the other's running
// requests as interrupted. The lock is released when the process ends.
func lockStore(storeURL string) (release func(), err error) {
	path, ok := strings.CutPrefix(storeURL, "sqlite:")
	if !ok || path == ":memory:" {
		return func() {}, nil
	}
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("REVOKEBOT_STORE: cannot create the lock file %s.lock", path)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("REVOKEBOT_STORE: another revokebot is already using %s; run one replica per SQLite file", path)
		}
		return nil, fmt.Errorf("REVOKEBOT_STORE: cannot lock %s.lock: %v", path, err)
	}
	return func() { f.Close() }, nil
}
