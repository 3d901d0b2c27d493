package main

import (
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/common/version"
)

// init fills in the version stamp from what the Go toolchain records in
// every binary when the linker flags of make build and the release did not
// set it: a plain `go build` in a clone, or `go install …@v0.1.0`, then still
// report a version, a revision and a build date (--version, build_info,
// the landing page).
func init() {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	fillVersion(bi)
}

func fillVersion(bi *debug.BuildInfo) {
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if version.Version == "" {
		switch v := bi.Main.Version; {
		case v != "" && v != "(devel)":
			version.Version = strings.TrimPrefix(v, "v")
		default:
			version.Version = "devel"
		}
	}
	if version.Revision == "" {
		version.Revision = settings["vcs.revision"]
		if version.Revision != "" && settings["vcs.modified"] == "true" {
			version.Revision += "-modified"
		}
	}
	if version.BuildDate == "" {
		// The commit's time: the closest a build without linker flags knows
		// of when it was made, in the Makefile's format.
		if t, err := time.Parse(time.RFC3339, settings["vcs.time"]); err == nil {
			version.BuildDate = t.UTC().Format("20060102-15:04:05")
		}
	}
}
