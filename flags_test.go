package main

import (
	"bytes"
	"strings"
	"testing"
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
