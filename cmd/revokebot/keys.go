package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/revokebot/revokebot/signing"
)

// keygenCommand runs `keygen [--out FILE]`: a new signing key, the private
// half to FILE (0600, never over an existing file) or stdout, the public
// half and its ID to stderr, which is what an operator keeps and shares.
func keygenCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "write the private key to this file (created 0600; an existing file is refused) instead of stdout")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: revokebot keygen [--out FILE]")
		return 2
	}
	var k signing.Key
	if *out != "" {
		var err error
		if k, err = signing.Create(*out); err != nil {
			fmt.Fprintf(stderr, "revokebot: keygen: %v\n", err)
			return 1
		}
	} else {
		var err error
		if k, err = signing.Generate(); err != nil {
			fmt.Fprintf(stderr, "revokebot: keygen: %v\n", err)
			return 1
		}
		pem, err := k.MarshalPEM()
		if err != nil {
			fmt.Fprintf(stderr, "revokebot: keygen: %v\n", err)
			return 1
		}
		stdout.Write(pem)
	}
	fmt.Fprintf(stderr, "public key: %s\nkey ID: %s\n", k.Public(), k.ID())
	return 0
}

// defaultKeyFile is where a SQLite store's key lives when
// REVOKEBOT_SIGNING_KEY_FILE is unset: beside the store; "" for PostgreSQL,
// which has no default (the key must not live where the database does).
func defaultKeyFile(storeURL string) string {
	if path, ok := strings.CutPrefix(storeURL, "sqlite:"); ok {
		return path + ".key"
	}
	return ""
}

// keyFile is where the bot's key lives: REVOKEBOT_SIGNING_KEY_FILE
// (explicit), else the SQLite default beside the store, else "".
func keyFile(getenv func(string) string, storeURL string) (path string, explicit bool) {
	if path = getenv("REVOKEBOT_SIGNING_KEY_FILE"); path != "" {
		return path, true
	}
	return defaultKeyFile(storeURL), false
}

// loadSigningKey reads the key the bot signs with, before anything
// connects. With SQLite and no REVOKEBOT_SIGNING_KEY_FILE, the key beside the
// store may not exist yet: then it returns a zero key and the path where
// startKey makes it. Errors name the setting and the file, never the key.
func loadSigningKey(getenv func(string) string, storeURL string) (signing.Key, string, error) {
	path, explicit := keyFile(getenv, storeURL)
	if path == "" {
		return signing.Key{}, "", &settingError{"REVOKEBOT_SIGNING_KEY_FILE",
			"required with a PostgreSQL store, so that the database alone cannot make the bot act: make a key with `revokebot keygen --out FILE` and mount it read-only"}
	}
	k, err := signing.Load(path)
	switch {
	case err == nil:
		return k, path, nil
	case explicit:
		return k, path, &settingError{"REVOKEBOT_SIGNING_KEY_FILE", keyProblem(err).Error()}
	case errors.Is(err, fs.ErrNotExist):
		return signing.Key{}, path, nil
	}
	return k, path, &settingError{"REVOKEBOT_SIGNING_KEY_FILE", "the default key beside the store: " + keyProblem(err).Error()}
}

// startKey is the key a starting bot signs with: the one loadSigningKey
// read, or a new one made at path on a SQLite store's first start.
func startKey(k signing.Key, path string) (signing.Key, error) {
	if k.Valid() {
		return k, nil
	}
	k, err := signing.LoadOrCreate(path)
	if err != nil {
		return k, fmt.Errorf("signing key beside the store: %w", keyProblem(err))
	}
	return k, nil
}

// keyProblem words a key file's error without what the file holds.
func keyProblem(err error) error {
	var pe *fs.PathError
	switch {
	case errors.Is(err, fs.ErrNotExist) && errors.As(err, &pe):
		return fmt.Errorf("%s does not exist (make one with `revokebot keygen --out %s`)", pe.Path, pe.Path)
	case errors.As(err, &pe):
		return fmt.Errorf("cannot read %s: %v", pe.Path, pe.Err)
	}
	return err
}

// verifyKeys are the public keys `audit verify` checks signatures with:
// each --public-key (a file or the base64 text keygen printed), else the
// public half of the bot's key file, read but never created.
func verifyKeys(given []string, getenv func(string) string, storeURL string) (signing.Keyring, error) {
	var keys []signing.PublicKey
	for _, g := range given {
		text := g
		if data, err := os.ReadFile(g); err == nil {
			text = string(data)
		}
		k, err := signing.ParsePublic(text)
		if err != nil {
			return nil, fmt.Errorf("--public-key: %v", err)
		}
		keys = append(keys, k)
	}
	if path, explicit := keyFile(getenv, storeURL); len(given) == 0 && path != "" {
		k, err := signing.Load(path)
		switch {
		case err == nil:
			keys = append(keys, k.Public())
		case explicit || !errors.Is(err, fs.ErrNotExist):
			return nil, &settingError{"REVOKEBOT_SIGNING_KEY_FILE", keyProblem(err).Error()}
		}
	}
	return signing.NewKeyring(keys...), nil
}
