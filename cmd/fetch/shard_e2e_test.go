package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2EEmptyShard: a shard with none of the list's URLs is a normal run
// of zero URLs (exit 0, said on stderr), for a list, a crawl's seeds and a
// list on a store; the shards together fetch every URL once. A list with
// no URL at all stays a usage error, shard or not (issue 23, item 4).
func TestE2EEmptyShard(t *testing.T) {
	srv := startServe(t)
	dir := t.TempDir()
	var urls []string
	for i := 0; i < 3; i++ {
		urls = append(urls, fmt.Sprintf("%s/size/%d", srv.URL(), i+1))
	}
	three := writeFile(t, dir, "three.txt", strings.Join(urls, "\n")+"\n")
	const n = 8
	fetched := map[string]int{}
	empty := 0
	for i := 0; i < n; i++ {
		shard := fmt.Sprintf("%d/%d", i, n)
		r := fetch(t, "", "--json", "--shard", shard, "-i", three)
		if r.code != 0 {
			t.Errorf("shard %s: exit %d, stderr %q; want 0", shard, r.code, r.stderr)
			continue
		}
		objs := parseNDJSON(t, r.stdout)
		for _, o := range objs["result"] {
			fetched[o["url"].(string)]++
		}
		if len(objs["summary"]) != 1 {
			t.Errorf("shard %s: %d summaries; want 1", shard, len(objs["summary"]))
		}
		if len(objs["result"]) == 0 {
			empty++
			if want := "fetch: shard " + shard + " of " + three + " has no URLs\n"; r.stderr != want {
				t.Errorf("shard %s: stderr %q; want %q", shard, r.stderr, want)
			}
			if s := objs["summary"]; len(s) == 1 && s[0]["urls"] != 0.0 {
				t.Errorf("shard %s: summary %v; want 0 URLs", shard, s[0])
			}
		}
	}
	if empty == 0 {
		t.Fatalf("no shard of %d is empty with 3 URLs: this test tests nothing", n)
	}
	for _, u := range urls {
		if fetched[u] != 1 {
			t.Errorf("%s fetched %d times over the shards; want once", u, fetched[u])
		}
	}
	// The empty shards of a crawl's seeds and of a list on a store.
	emptyShard := ""
	for i := 0; i < n && emptyShard == ""; i++ {
		sh := fmt.Sprintf("%d/%d", i, n)
		if r := fetch(t, "", "--shard", sh, "-i", three); strings.Contains(r.stderr, "has no URLs") {
			emptyShard = sh
		}
	}
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"text", []string{"-i", three}},
		{"crawl", []string{"--crawl", "-i", three}},
		{"list on a store", []string{"--frontier", "bolt:" + filepath.Join(dir, "s.db"), "-i", three}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := fetch(t, "", append(tt.args, "--shard", emptyShard)...)
			if r.code != 0 || !strings.Contains(r.stderr, "fetch: shard "+emptyShard+" of "+three+" has no URLs") || !strings.Contains(r.stdout, "summary: 0 URLs") {
				t.Errorf("exit %d, stdout %q, stderr %q; want 0, the empty shard said, and a summary of 0 URLs", r.code, r.stdout, r.stderr)
			}
		})
	}
	nothing := writeFile(t, dir, "nothing.txt", "# no URL\n")
	for _, args := range [][]string{{"--shard", "1/8", "-i", nothing}, {"-i", nothing}, {"--crawl", "--shard", "1/8", "-i", nothing}} {
		if r := fetch(t, "", args...); r.code != 2 || !strings.Contains(r.stderr, "no URLs in "+nothing) {
			t.Errorf("fetch %v: exit %d, stderr %q; want 2 and no URLs", args, r.code, r.stderr)
		}
	}
}
