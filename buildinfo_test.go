package main

import (
	"runtime/debug"
	"testing"

	"github.com/prometheus/common/version"
)

func TestVersionFromBuildInfo(t *testing.T) {
	saved := [3]string{version.Version, version.Revision, version.BuildDate}
	defer func() { version.Version, version.Revision, version.BuildDate = saved[0], saved[1], saved[2] }()
	for _, tc := range []struct {
		main, wantVersion string
	}{{"v0.1.0", "0.1.0"}, {"v0.0.0-20261129020000-abcdef012345+dirty", "0.0.0-20261129020000-abcdef012345+dirty"}, {"(devel)", "devel"}} {
		version.Version, version.Revision, version.BuildDate = "", "", ""
		fillVersion(&debug.BuildInfo{Main: debug.Module{Version: tc.main}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abcdef0123456789"}, {Key: "vcs.time", Value: "2026-11-29T02:00:00Z"}, {Key: "vcs.modified", Value: "true"}}})
		if version.Version != tc.wantVersion || version.Revision != "abcdef0123456789-modified" || version.BuildDate != "20261129-02:00:00" {
			t.Errorf("%s: version %q revision %q date %q", tc.main, version.Version, version.Revision, version.BuildDate)
		}
	}
	// Linker flags win.
	version.Version, version.Revision, version.BuildDate = "1.2.3", "r", "d"
	fillVersion(&debug.BuildInfo{Main: debug.Module{Version: "v9"}})
	if version.Version != "1.2.3" || version.Revision != "r" || version.BuildDate != "d" {
		t.Errorf("the linker's stamp was overwritten: %q %q %q", version.Version, version.Revision, version.BuildDate)
	}
}
