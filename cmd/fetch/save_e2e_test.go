package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestE2ESaveUnwritable: --save into a directory that exists but cannot
// be written is a usage error before the first fetch (exit 2), naming the
// directory, instead of a run that fetches every URL and fails each as io
// (issue 23, item 8). Root writes through a mode of 0555, so as root the
// directory is made read-only with a read-only bind mount in a mount
// namespace of the test's own.
func TestE2ESaveUnwritable(t *testing.T) {
	srv := startServe(t)
	dir := filepath.Join(t.TempDir(), "out")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := t.TempDir()
	before := srv.Requests()
	var r ran
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		r = fetch(t, "", "--save", dir, srv.URL()+"/size/5")
	} else {
		if err := exec.Command("unshare", "-m", "true").Run(); err != nil {
			t.Skipf("as root, needs a private mount namespace (unshare -m): %v", err)
		}
		script := `unshare -m sh -c 'mount --bind "$DIR" "$DIR" && mount -o remount,bind,ro "$DIR" || exit 99; ` +
			`fetch --save "$DIR" "$URL" > "$KEEP/out" 2> "$KEEP/err"; echo $? > "$KEEP/rc"'`
		sh := runShell(t, t.TempDir(), script, "DIR="+dir, "KEEP="+keep, "URL="+srv.URL()+"/size/5")
		if sh.code != 0 {
			t.Fatalf("script: exit %d, stderr %q", sh.code, sh.stderr)
		}
		rc, _ := os.ReadFile(filepath.Join(keep, "rc"))
		out, _ := os.ReadFile(filepath.Join(keep, "out"))
		errOut, _ := os.ReadFile(filepath.Join(keep, "err"))
		code, err := strconv.Atoi(strings.TrimSpace(string(rc)))
		if err != nil {
			t.Fatalf("exit status %q: %v", rc, err)
		}
		r = ran{string(out), string(errOut), code}
	}
	if r.code != 2 || !strings.Contains(r.stderr, "fetch: --save "+dir+": cannot write in this directory: ") {
		t.Errorf("exit %d, stderr %q; want 2 and the directory named", r.code, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q; want nothing", r.stdout)
	}
	if n := srv.Requests() - before; n != 0 {
		t.Errorf("the server got %d requests; want none", n)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("%s holds %d entries; want none left by the check", dir, len(entries))
	}
}
