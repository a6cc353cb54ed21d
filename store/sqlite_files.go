package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// sqliteFileMode is the mode of a SQLite store's files: the audit log and
// the requests are for the bot's user alone.
const sqliteFileMode fs.FileMode = 0o600

// sqliteCompanions are the files SQLite keeps beside the database. Its unix
// VFS creates them with the database file's permissions, so a private
// database gets private companions without touching the process's umask.
var sqliteCompanions = []string{"-wal", "-shm", "-journal"}

// sqlitePrivate makes the database at path, and the companions it already
// has, readable and writable by this user only: it creates a missing file
// itself, with that mode, before SQLite would create it with 0644, and
// tightens existing ones, which older versions left as the umask made them.
func sqlitePrivate(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, sqliteFileMode)
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	for _, p := range append([]string{path}, companionPaths(path)...) {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		// Only a change of mode is written, so a file that is already
		// private need not be owned by this user.
		if fi.Mode().Perm() != sqliteFileMode {
			if err := os.Chmod(p, sqliteFileMode); err != nil {
				return fmt.Errorf("make it private to this user: %w", err)
			}
		}
	}
	return nil
}

func companionPaths(path string) []string {
	out := make([]string, len(sqliteCompanions))
	for i, suffix := range sqliteCompanions {
		out[i] = path + suffix
	}
	return out
}
