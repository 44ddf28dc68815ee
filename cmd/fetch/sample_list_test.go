package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSampleList runs the README's sample list (testdata/urls/local.txt,
// written for `fetch serve` on 127.0.0.1:8080) against the embedded
// server on a free port: every URL line gives one result with its label,
// the 404 and the 503 are failed results, and the run exits 1.
func TestSampleList(t *testing.T) {
	t.Parallel()
	srv := startServe(t)
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "urls", "local.txt"))
	if err != nil {
		t.Fatal(err)
	}
	hostPort := strings.TrimPrefix(srv.URL(), "http://")
	list := filepath.Join(t.TempDir(), "local.txt")
	if err := os.WriteFile(list, []byte(strings.ReplaceAll(string(data), "127.0.0.1:8080", hostPort)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := fetch(t, "", "--json", "-i", list)
	if r.code != 1 {
		t.Fatalf("exit %d; want 1 (a 404 and a 503 in the list)\nstderr: %s", r.code, r.stderr)
	}
	results := parseNDJSON(t, r.stdout)["result"]
	want := map[string]bool{ // label -> ok
		"home": true, "slow-page": true, "gzipped": true, "missing": false,
		"redirected": true, "no-scheme": true, "unavailable": false,
	}
	if len(results) != len(want) {
		t.Fatalf("got %d results; want %d\n%s", len(results), len(want), r.stdout)
	}
	for _, res := range results {
		label, _ := res["label"].(string)
		ok, known := want[label]
		if !known {
			t.Errorf("result %v: unknown label %q", res["url"], label)
			continue
		}
		if res["ok"] != ok {
			t.Errorf("%s (%v): ok = %v; want %v (status %v, error %v)", label, res["url"], res["ok"], ok, res["status"], res["error"])
		}
		delete(want, label)
	}
	for label := range want {
		t.Errorf("no result labelled %q", label)
	}
}
