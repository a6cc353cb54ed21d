package bot

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLayout holds the tree to its layout: only bot/slack imports slack-go
// and only revoke/ the Graph SDK (tests of the fakes drive the real clients,
// so test files are not held to it), and bot/request is platform-neutral.
func TestLayout(t *testing.T) {
	rules := []struct{ prefix, onlyIn string }{
		{"github.com/slack-go/", "bot/slack/"},
		{"github.com/microsoftgraph/", "revoke/"},
		{"github.com/microsoft/kiota", "revoke/"},
	}
	root := ".."
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, r := range rules {
				if strings.HasPrefix(p, r.prefix) && !strings.HasPrefix(rel, r.onlyIn) {
					t.Errorf("%s imports %s: only %s may", rel, p, r.onlyIn)
				}
			}
			if strings.HasPrefix(rel, "bot/request/") && strings.HasPrefix(p, "github.com/revokebot/revokebot/bot/") {
				t.Errorf("%s imports %s: the lifecycle depends on no adapter", rel, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked only %d files: is the walk rooted at the module?", checked)
	}
}
