package signing

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Load reads the private key in file path.
func Load(path string) (Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Key{}, err
	}
	k, err := ParsePEM(data)
	if err != nil {
		return Key{}, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// Create makes a new key and writes it to path, readable by its owner only;
// it refuses to overwrite a file that exists, which may be the only copy of
// a key the audit log was signed with.
func Create(path string) (Key, error) {
	k, err := Generate()
	if err != nil {
		return Key{}, err
	}
	data, err := k.MarshalPEM()
	if err != nil {
		return Key{}, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Key{}, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return Key{}, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return Key{}, err
	}
	return k, f.Close()
}

// LoadOrCreate loads the key in path, or creates it there when no file is:
// the SQLite default, where the key lives beside the store.
func LoadOrCreate(path string) (Key, error) {
	k, err := Create(path)
	if errors.Is(err, fs.ErrExist) { // made before, or by another process first
		return Load(path)
	}
	return k, err
}
