package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

// TestVersionText: the version, the Go that built it, the commit when the
// build recorded one, and the platform.
func TestVersionText(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"}}}
	for _, tt := range []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"commit", bi, "fetch v1.2.3 go1.26.8\ncommit 0123456789abcdef 2026-01-02T03:04:05Z (with uncommitted changes)\nlinux/amd64\n"},
		{"no vcs", &debug.BuildInfo{GoVersion: "go1.26.8"}, "fetch (devel) go1.26.8\nlinux/amd64\n"},
		{"no build info", nil, "fetch (devel)\nlinux/amd64\n"},
	} {
		if got := versionText(tt.bi, "linux/amd64"); got != tt.want {
			t.Errorf("%s: versionText = %q; want %q", tt.name, got, tt.want)
		}
	}
}

// TestE2EVersion: `fetch version` is a subcommand that prints what
// --version prints, and fetches nothing (it fetched http://version), and
// one after a flag gets the subcommand hint (issue 23, item 13).
func TestE2EVersion(t *testing.T) {
	r := fetch(t, "", "version")
	v := fetch(t, "", "--version")
	if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "fetch ") || r.stdout != v.stdout {
		t.Errorf("fetch version: exit %d, stdout %q, stderr %q; want 0 and what --version prints, %q", r.code, r.stdout, r.stderr, v.stdout)
	}
	if r := fetch(t, "", "version", "--help"); r.code != 0 || !strings.Contains(r.stdout, "Usage:\n  fetch version\n") {
		t.Errorf("fetch version --help: exit %d, stdout %q", r.code, r.stdout)
	}
	if r := fetch(t, "", "version", "x"); r.code != 2 || !strings.Contains(r.stderr, `unexpected argument "x"`) {
		t.Errorf("fetch version x: exit %d, stderr %q; want 2", r.code, r.stderr)
	}
	if r := fetch(t, "", "--json", "version"); r.code != 2 || !strings.Contains(r.stderr, `"version" is a subcommand: put it first`) {
		t.Errorf("fetch --json version: exit %d, stderr %q; want 2 and the hint", r.code, r.stderr)
	}
}
