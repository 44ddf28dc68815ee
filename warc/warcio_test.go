package warc_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// warcioVersion is the version of webrecorder's warcio.js (npm "warcio")
// that reads our files back: an independent reader. scripts/test.sh
// installs the same version.
const warcioVersion = "2.4.11"

var warcioOnce struct {
	sync.Once
	dir string // holds node_modules/warcio
	err error
}

func inCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "0" && v != "false"
}

// warcio returns a directory holding node_modules/warcio: the one named by
// $GREENFETCH_WARCIO_DIR (scripts/test.sh installs it there), or else a
// cache under the system's temporary directory that the first test run
// fills with `npm install` from the npm registry. It skips the test only
// when npm (or node) is missing and CI is not set; with CI set that is a
// failure, and so is an install that fails.
func warcio(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv("GREENFETCH_WARCIO_DIR"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "warcio", "package.json")); err != nil {
			t.Fatalf("GREENFETCH_WARCIO_DIR=%s holds no node_modules/warcio: %v", dir, err)
		}
		if _, err := exec.LookPath("node"); err != nil {
			t.Fatalf("GREENFETCH_WARCIO_DIR is set but node is not on PATH: %v", err)
		}
		return dir
	}
	for _, bin := range []string{"npm", "node"} {
		if _, err := exec.LookPath(bin); err != nil {
			msg := bin + " not found on PATH: cannot install warcio from npm to read the WARC files back (scripts/test.sh installs it)"
			if inCI() {
				t.Fatal(msg + "; CI is set, so this is a failure, not a skip")
			}
			t.Skip(msg)
		}
	}
	warcioOnce.Do(func() { warcioOnce.dir, warcioOnce.err = installWarcio() })
	if warcioOnce.err != nil {
		t.Fatalf("installing warcio %s with npm: %v", warcioVersion, warcioOnce.err)
	}
	return warcioOnce.dir
}

// installWarcio installs warcio into a fresh directory and renames it to
// the cache's name, so that concurrent test processes never see half an
// install.
func installWarcio() (string, error) {
	cache := filepath.Join(os.TempDir(), "greenfetch-warcio-"+warcioVersion)
	if _, err := os.Stat(filepath.Join(cache, "node_modules", "warcio", "package.json")); err == nil {
		return cache, nil
	}
	tmp, err := os.MkdirTemp(os.TempDir(), "greenfetch-warcio-install-*")
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "install", "--prefix", tmp, "--no-audit", "--no-fund",
		"--cache", filepath.Join(os.TempDir(), "greenfetch-npm-cache"), "warcio@"+warcioVersion)
	cmd.Stdin = nil
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(tmp)
		return "", errors.New(err.Error() + ": " + strings.TrimSpace(string(out)))
	}
	if err := os.Rename(tmp, cache); err != nil {
		os.RemoveAll(tmp)
		if _, serr := os.Stat(filepath.Join(cache, "node_modules", "warcio", "package.json")); serr == nil {
			return cache, nil // another process installed it meanwhile
		}
		return "", err
	}
	return cache, nil
}

// readRecord is one line of testdata/readback.mjs.
type readRecord struct {
	File                  string            `json:"file"`
	Offset                int64             `json:"offset"`
	Length                int64             `json:"length"`
	Version               string            `json:"version"`
	Fields                map[string]string `json:"fields"`
	ComputedBlockDigest   string            `json:"computedBlockDigest"`
	BlockLength           int64             `json:"blockLength"`
	Status                int               `json:"status"`
	Method                string            `json:"method"`
	Chunked               bool              `json:"chunked"`
	ComputedPayloadDigest string            `json:"computedPayloadDigest"`
	PayloadLength         int64             `json:"payloadLength"`
}

func (r readRecord) typ() string { return r.Fields["warc-type"] }
func (r readRecord) uri() string { return r.Fields["warc-target-uri"] }

// readBack reads the WARC files in dir with warcio and returns their
// records in file order. algo is "sha1" or "sha256".
func readBack(t testing.TB, dir, algo string, files []string) []readRecord {
	t.Helper()
	wdir := warcio(t)
	script, err := os.ReadFile(filepath.Join("testdata", "readback.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	sdir := t.TempDir()
	if err := os.WriteFile(filepath.Join(sdir, "readback.mjs"), script, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(wdir, "node_modules"), filepath.Join(sdir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	args := []string{filepath.Join(sdir, "readback.mjs"), algo}
	for _, f := range files {
		args = append(args, filepath.Join(dir, f))
	}
	out := runNode(t, sdir, "node", args...)
	var recs []readRecord
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r readRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("readback.mjs line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

// warcioCDX runs `warcio cdx-index` on the files of dir and returns its
// lines, sorted.
func warcioCDX(t testing.TB, dir string, files []string) []string {
	t.Helper()
	bin := filepath.Join(warcio(t), "node_modules", ".bin", "warcio")
	out := runNode(t, dir, bin, append([]string{"cdx-index"}, files...)...)
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		lines = nil
	}
	sort.Strings(lines)
	return lines
}

// warcioIndex runs `warcio index` with the given fields and returns one map
// per record.
func warcioIndex(t testing.TB, dir string, fields string, files []string) []map[string]any {
	t.Helper()
	bin := filepath.Join(warcio(t), "node_modules", ".bin", "warcio")
	out := runNode(t, dir, bin, append(append([]string{"index"}, files...), "-f", fields)...)
	var recs []map[string]any
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			break
		}
		recs = append(recs, m)
	}
	return recs
}

func runNode(t testing.TB, dir, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// warcFiles lists the *.warc.gz files of dir, sorted.
func warcFiles(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".warc.gz") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}
