package main

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// An unknown flag is a one-line error naming the nearest known flag when
// it is a likely typo, and pointing to --help when none is near.
func TestAnUnknownFlagSuggestsTheNearestOne(t *testing.T) {
	lookupEnv := func(string) (string, bool) { return "", false }
	for flag, want := range map[string]string{
		"--twelvelabs.timout=5s":   "unknown long flag '--twelvelabs.timout' (did you mean --twelvelabs.timeout?)",
		"--twelvelabs.max-page=5":  "(did you mean --twelvelabs.max-pages?)",
		"--no-such-thing-anywhere": "unknown long flag '--no-such-thing-anywhere' (--help lists the flags)",
	} {
		_, err := wire([]string{flag}, lookupEnv, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v; want one line with %q", flag, err, want)
		}
	}
}

// The collectors: embed alone by default, each stage by its flag, an
// account's collectors: over the flags, and a clear line for an unknown
// name or for every collector off.
func TestCollectorFlagsAndAccountOverrides(t *testing.T) {
	apis := func(args ...string) ([]client.API, error) {
		app, c := newApp()
		if _, err := app.Parse(args); err != nil {
			t.Fatal(err)
		}
		return c.listedAPIs()
	}
	if got, err := apis(); err != nil || !slices.Equal(got, []client.API{client.V1, client.V2}) {
		t.Errorf("defaults: %v, %v; want v1 and v2 only", got, err)
	}
	if got, err := apis("--collector.indexes", "--collector.indexing", "--twelvelabs.embed-api=v2"); err != nil ||
		!slices.Equal(got, []client.API{client.V2, client.Indexing.API, client.Indexes.API}) {
		t.Errorf("two stages: %v, %v", got, err)
	}
	if _, err := apis("--no-collector.embed"); err == nil || !strings.Contains(err.Error(), "every collector is off") {
		t.Errorf("nothing on: %v", err)
	}

	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	writeConfig(t, keyFile, "tlk_0123456789\n")
	cfg := filepath.Join(dir, "accounts.yml")
	writeConfig(t, cfg, "accounts:\n  - {name: a, key_file: "+keyFile+", collectors: {embed: false, batches: true}}\n"+
		"  - {name: b, key_file: "+keyFile+", collectors: {indexs: true}}\n")
	var out bytes.Buffer
	code := run([]string{"--config.file=" + cfg, "--config.check"}, &out)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if code != 1 || len(lines) != 1 || !strings.Contains(lines[0], `accounts.yml:3: account "b": unknown collector "indexs" (did you mean indexes?)`) {
		t.Errorf("exit %d, %q; want one line naming the line, the unknown collector and the nearest", code, out.String())
	}
	a := accountConfig{Collectors: map[string]bool{"embed": false, "batches": true}}
	app, flags := newApp()
	if _, err := app.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if got, err := a.settings(flags).listedAPIs(); err != nil || !slices.Equal(got, []client.API{client.Batches.API}) {
		t.Errorf("account override: %v, %v; want batches only", got, err)
	}
}
