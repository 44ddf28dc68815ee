package main

// Tests of -o FILE and of results that cannot be written (issue 23,
// items 1 and 7): nothing the run reads or was not asked to replace is
// destroyed, and a full disk is exit 4 with no torn line left.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/serve"
)

// selfSignedPEM returns a self-signed certificate in PEM, as --cacert
// reads one.
func selfSignedPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// writeFile writes s to dir/name and returns its path.
func writeFile(t *testing.T, dir, name, s string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantFile fails unless the file at p holds exactly want.
func wantFile(t *testing.T, p, want string) {
	t.Helper()
	got, err := os.ReadFile(p)
	if err != nil {
		t.Errorf("%s: %v; want it kept", p, err)
		return
	}
	if string(got) != want {
		t.Errorf("%s holds %q; want %q, byte for byte", p, got, want)
	}
}

// wantNoFile fails if p exists.
func wantNoFile(t *testing.T, p string) {
	t.Helper()
	if _, err := os.Lstat(p); err == nil {
		t.Errorf("%s exists; want none", p)
	}
}

// fetchFrom runs the binary with stdin read from the file at stdinPath.
func fetchFrom(t *testing.T, stdinPath string, args ...string) ran {
	t.Helper()
	f, err := os.Open(stdinPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, fetchBin, args...)
	cmd.Env = testEnv()
	cmd.Stdin = f
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("fetch %v: %v", args, err)
	}
	return ran{out.String(), errOut.String(), code}
}

// TestE2EOutputNamesAnInput: -o naming a file the run reads, under any
// name (the same path, another path to it, a hard link), is a usage
// error that fetches nothing and leaves the file as it was.
func TestE2EOutputNamesAnInput(t *testing.T) {
	srv := startServe(t)
	dir := t.TempDir()
	u := srv.URL() + "/size/5"
	list := u + "\n"
	tests := []struct {
		name  string
		file  string // its content
		stdin bool   // the file is standard input
		args  func(file string) []string
		out   func(file string) string // the -o name
	}{
		{"-i, same name", list, false, func(f string) []string { return []string{"-i", f} }, func(f string) string { return f }},
		{"-i, a symbolic link", list, false, func(f string) []string { return []string{"-i", f} }, func(f string) string {
			link := f + ".sym"
			if err := os.Symlink(f, link); err != nil {
				t.Fatal(err)
			}
			return link
		}},
		{"-i, a hard link", list, false, func(f string) []string { return []string{"-i", f} }, func(f string) string {
			link := f + ".link"
			if err := os.Link(f, link); err != nil {
				t.Fatal(err)
			}
			return link
		}},
		{"standard input", list, true, func(string) []string { return nil }, func(f string) string { return f }},
		{"-d @FILE", "a=1", false, func(f string) []string { return []string{"-d", "@" + f, u} }, func(f string) string { return f }},
		{"--cacert", selfSignedPEM(t), false, func(f string) []string { return []string{"--cacert", f, u} }, func(f string) string { return f }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeFile(t, dir, fmt.Sprintf("in%d.txt", i), tt.file)
			out := tt.out(file)
			before := srv.Requests()
			args := append(tt.args(file), "-o", out)
			var r ran
			if tt.stdin {
				r = fetchFrom(t, file, args...)
			} else {
				r = fetch(t, "", args...)
			}
			if r.code != 2 || !strings.Contains(r.stderr, "the results would overwrite what the run reads") {
				t.Errorf("fetch %v: exit %d, stderr %q; want 2 and the reason", args, r.code, r.stderr)
			}
			wantFile(t, file, tt.file)
			wantNoFile(t, file+partialSuffix)
			if n := srv.Requests() - before; n != 0 {
				t.Errorf("the server got %d requests; want none", n)
			}
		})
	}
	t.Run("bolt store", func(t *testing.T) {
		db := filepath.Join(dir, "crawl.db")
		if r := fetch(t, "", "--frontier", "bolt:"+db, u); r.code != 0 {
			t.Fatalf("making the store: exit %d, stderr %q", r.code, r.stderr)
		}
		st, _ := os.ReadFile(db)
		r := fetch(t, "", "--frontier", "bolt:"+db, "-o", db, u)
		if r.code != 2 || !strings.Contains(r.stderr, "is the store (--frontier bolt:") {
			t.Errorf("exit %d, stderr %q; want 2 and the store named", r.code, r.stderr)
		}
		wantFile(t, db, string(st))
	})
}

// TestE2EOutputUsageErrorKeepsFile: a usage error found after -o was
// opened (an empty list, an empty crawl seed list, a store that cannot be
// opened) leaves an existing results file as it was, byte for byte, and
// nothing beside it.
func TestE2EOutputUsageErrorKeepsFile(t *testing.T) {
	dir := t.TempDir()
	const old = "{\"type\":\"result\",\"url\":\"http://old/\"}\nlast run's results\n"
	empty := writeFile(t, dir, "empty.txt", "# nothing\n\n")
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"empty list", []string{"-i", empty}},
		{"empty seeds", []string{"--crawl", "-i", empty}},
		{"store in a missing directory", []string{"--frontier", "bolt:" + filepath.Join(dir, "no", "such", "dir", "c.db"), "http://127.0.0.1:1/"}},
		{"--output is a directory", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := writeFile(t, dir, "results.ndjson", old)
			args := append(tt.args, "--json", "-o", out)
			if tt.args == nil {
				out = dir
				args = []string{"-o", dir, "http://127.0.0.1:1/"}
			}
			r := fetch(t, "", args...)
			if r.code != 2 {
				t.Errorf("fetch %v: exit %d, stderr %q; want 2", args, r.code, r.stderr)
			}
			if tt.args != nil {
				wantFile(t, out, old)
			}
			wantNoFile(t, out+partialSuffix)
		})
	}
}

// TestE2EOutputReplacedWhole: while a run lasts, its results grow in
// FILE.partial and FILE is the last run's; at its end they replace FILE
// whole, which keeps its permissions. An existing FILE.partial (another
// run's, or a killed one's) is never written over.
func TestE2EOutputReplacedWhole(t *testing.T) {
	srv := startServe(t)
	dir := t.TempDir()
	out := writeFile(t, dir, "results.ndjson", "old\n")
	if err := os.Chmod(out, 0o600); err != nil {
		t.Fatal(err)
	}
	slow := serve.URLFor(srv.URL(), 300*time.Millisecond, 7)
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	cmd, _, errOut := startStreaming(t, ctx, nil, "--json", "-c", "1", "--keep-order", "-o", out, srv.URL()+"/size/3", slow)
	waitFor(t, "the first result in "+out+partialSuffix, func() bool {
		b, _ := os.ReadFile(out + partialSuffix)
		return bytes.Count(b, []byte("\n")) >= 1
	})
	wantFile(t, out, "old\n")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("fetch: %v; stderr %q", err, errOut)
	}
	wantNoFile(t, out+partialSuffix)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	objs := parseNDJSON(t, string(b))
	if len(objs["result"]) != 2 || len(objs["summary"]) != 1 {
		t.Errorf("%s holds\n%s\nwant 2 results and a summary", out, b)
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v (%v); want 0600 kept", out, st.Mode(), err)
	}

	writeFile(t, dir, "results.ndjson.partial", "another run's\n")
	r := fetch(t, "", "-o", out, srv.URL()+"/size/3")
	if r.code != 2 || !strings.Contains(r.stderr, "results.ndjson.partial exists") {
		t.Errorf("with a .partial there: exit %d, stderr %q; want 2 and the reason", r.code, r.stderr)
	}
	wantFile(t, out+partialSuffix, "another run's\n")
	wantFile(t, out, string(b))
}

// waitFor polls cond until it holds, or fails the test after e2eTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(e2eTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, e2eTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestE2EOutputKilled: a run killed with SIGKILL leaves the results file
// of the last run as it was, and the whole lines of its own results in
// FILE.partial.
func TestE2EOutputKilled(t *testing.T) {
	srv := startServe(t)
	dir := t.TempDir()
	const old = "last run's results\n"
	out := writeFile(t, dir, "results.ndjson", old)
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	cmd, _, _ := startStreaming(t, ctx, nil, "--json", "-c", "1", "--keep-order", "-o", out,
		srv.URL()+"/size/3", srv.URL()+"/size/4", srv.URL()+"/delay/60s")
	waitFor(t, "two results in "+out+partialSuffix, func() bool {
		b, _ := os.ReadFile(out + partialSuffix)
		return bytes.Count(b, []byte("\n")) >= 2
	})
	cmd.Process.Kill()
	cmd.Wait()
	wantFile(t, out, old)
	b, err := os.ReadFile(out + partialSuffix)
	if err != nil {
		t.Fatalf("the partial results: %v", err)
	}
	if objs := parseNDJSON(t, string(b)); len(objs["result"]) != 2 {
		t.Errorf("%s holds\n%s\nwant the 2 results done", out+partialSuffix, b)
	}
}

// TestE2EOutputFull: results that cannot be written (/dev/full, as
// standard output and as -o) are exit 4, with a message that names where
// they went, even when a URL also failed.
func TestE2EOutputFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	srv := startServe(t)
	for _, tt := range []struct{ name, script, where string }{
		{"stdout", "fetch --json URLS > /dev/full", "standard output"},
		{"-o", "fetch -o /dev/full URLS", "/dev/full"},
		{"-w", "fetch -w '{status}\\n' URLS > /dev/full", "standard output"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			script := "rc=0; " + strings.ReplaceAll(tt.script, "URLS", srv.URL()+"/size/3 "+srv.URL()+"/status/404") + " || rc=$?; echo exit $rc"
			r := runShell(t, t.TempDir(), script)
			if r.stdout != "exit 4\n" {
				t.Errorf("%s: got %q; want exit 4 (stderr %q)", script, r.stdout, r.stderr)
			}
			if want := "fetch: writing results to " + tt.where + ": no space left on device\n"; !strings.Contains(r.stderr, want) {
				t.Errorf("%s: stderr %q; want %q", script, r.stderr, want)
			}
		})
	}
}

// TestE2EOutputDiskFull: a disk that fills up during the run (a tmpfs of
// 16 KiB, mounted in a mount namespace of the test's own) is exit 4, and
// the file ends with the last whole line written: every line of it is a
// whole JSON object. With -o, the last results file is left as it was.
func TestE2EOutputDiskFull(t *testing.T) {
	if err := exec.Command("unshare", "-m", "true").Run(); err != nil {
		t.Skipf("needs a private mount namespace (unshare -m, as root): %v", err)
	}
	srv := startServe(t)
	dir := t.TempDir()
	var list strings.Builder
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&list, "%s/size/1?i=%d\n", srv.URL(), i)
	}
	listFile := writeFile(t, dir, "list.txt", list.String())
	for _, tt := range []struct{ name, cmd, kept string }{
		{"stdout", `fetch --json -i "$LIST" > "$MNT/out"`, "out"},
		{"-o", `echo old > "$MNT/out"; fetch --json -i "$LIST" -o "$MNT/out"`, "out.partial"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mnt, keep := filepath.Join(t.TempDir(), "mnt"), t.TempDir()
			if err := os.Mkdir(mnt, 0o755); err != nil {
				t.Fatal(err)
			}
			script := `unshare -m sh -c 'mount -t tmpfs -o size=16k tmpfs "$MNT" || exit 99; ` + tt.cmd + `; echo $? > "$KEEP/rc"; cp "$MNT"/out* "$KEEP"/'`
			r := runShell(t, dir, script, "MNT="+mnt, "KEEP="+keep, "LIST="+listFile)
			if r.code != 0 {
				t.Fatalf("script: exit %d, stderr %q", r.code, r.stderr)
			}
			wantFile(t, filepath.Join(keep, "rc"), "4\n")
			if !strings.Contains(r.stderr, "no space left on device") {
				t.Errorf("stderr %q; want the cause", r.stderr)
			}
			b, err := os.ReadFile(filepath.Join(keep, tt.kept))
			if err != nil {
				t.Fatal(err)
			}
			if len(b) == 0 || b[len(b)-1] != '\n' {
				t.Fatalf("%s does not end with a whole line: ...%q", tt.kept, b[max(0, len(b)-80):])
			}
			for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
				if !json.Valid([]byte(line)) {
					t.Fatalf("line %d of %s is not whole JSON: %q", i+1, tt.kept, line)
				}
			}
			if tt.name == "-o" {
				wantFile(t, filepath.Join(keep, "out"), "old\n")
				if !strings.Contains(r.stderr, "the results written so far are in "+mnt+"/out.partial") {
					t.Errorf("stderr %q; want where the results are", r.stderr)
				}
			}
		})
	}
}

// fullFile is a regular file with room for a number of bytes: a write
// past it writes what fits and fails with ENOSPC, as a full disk does.
type fullFile struct {
	data []byte
	room int
	off  int64
}

func (f *fullFile) Write(p []byte) (int, error) {
	n := min(len(p), f.room-len(f.data))
	f.data = append(f.data, p[:n]...)
	f.off += int64(n)
	if n < len(p) {
		return n, &os.PathError{Op: "write", Path: "full", Err: syscall.ENOSPC}
	}
	return n, nil
}

func (f *fullFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		f.off = off
	case io.SeekEnd:
		f.off = int64(len(f.data)) + off
	}
	return f.off, nil
}

func (f *fullFile) Truncate(size int64) error {
	f.data = f.data[:size]
	return nil
}

// TestLineWriterCutsTornLine: a batch of lines that a full disk cut part
// way leaves the file at the end of its last whole line, and nothing more
// is written.
func TestLineWriterCutsTornLine(t *testing.T) {
	for _, room := range []int{0, 3, 4, 5, 9, 10, 11} {
		ff := &fullFile{room: room}
		lw := newLineWriter(ff)
		lw.cut = ff
		lw.writeLine([]byte("aaa\nbbbbb\ncc\n"))
		lw.writeLine([]byte("dd\n"))
		want := map[int]string{0: "", 3: "", 4: "aaa\n", 5: "aaa\n", 9: "aaa\n", 10: "aaa\nbbbbb\n", 11: "aaa\nbbbbb\n"}[room]
		if string(ff.data) != want {
			t.Errorf("room %d: file holds %q; want %q", room, ff.data, want)
		}
		if lw.Err() == nil {
			t.Errorf("room %d: no error kept", room)
		}
	}
}

// fullWriter fails with ENOSPC after n writes, as a full disk behind
// standard output.
type fullWriter struct{ n, writes int }

func (w *fullWriter) Write(p []byte) (int, error) {
	if w.writes >= w.n {
		return 0, &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.ENOSPC}
	}
	w.writes++
	return len(p), nil
}

// TestPlanOutputFailure: results that could not be written are exit 4,
// for a list and a crawl, over a failed URL, a gate not met and an
// interrupt; the message names where the results went.
func TestPlanOutputFailure(t *testing.T) {
	for _, tt := range []struct {
		name     string
		args     []string
		cancelOn string
	}{
		{"over a failed URL", []string{"-c", "1", okA, nf, okB}, ""},
		{"over a gate not met", []string{"--compare", "--min-speedup", "1000", okA, okB}, ""},
		{"over an interrupt", []string{"-c", "1", okA, okB, hang}, hang},
	} {
		for _, kind := range []string{"list", "crawl"} {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				ios, _, _, errOut := Test()
				ios.Out = &fullWriter{n: 1}
				clock := newFakeClock()
				eng := &fakeEngine{clock: clock}
				ctx, cancel := context.WithCancelCause(context.Background())
				defer cancel(nil)
				eng.onJob = func(u string) {
					if u == tt.cancelOn {
						cancel(&signalError{syscall.SIGINT})
					}
				}
				args := tt.args
				if kind == "crawl" {
					args = append([]string{"--crawl"}, args...)
				}
				code := newCmdFetch(ctx, ios, args, func(ctx context.Context, o *Options) exitCode {
					o.Now, o.Run, o.Crawl = clock.Now, eng.run, eng.crawl
					return fetchRun(ctx, o)
				})
				if code != exitOutput {
					t.Errorf("fetch %v: exit %d; want %d (stderr %q)", args, code, exitOutput, errOut)
				}
				if want := "fetch: writing results to standard output: no space left on device\n"; !strings.Contains(errOut.String(), want) {
					t.Errorf("stderr %q; want %q", errOut, want)
				}
			})
		}
	}
}
