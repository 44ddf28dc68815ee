package main

// End-to-end tests of the crawl flags and the stores as a user meets
// them (issues 23 and 24): the built binary, nginx and redis-server.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

// indexSite starts nginx with an index page of n links (/l0.html …).
func indexSite(t *testing.T, n int) *testserver.Nginx {
	t.Helper()
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "<a href=\"/l%d.html\">%d</a>\n", i, i)
	}
	return testserver.StartNginx(t, testserver.NginxOptions{Files: map[string][]byte{"index.html": []byte(b.String())}})
}

// TestE2EMaxLinksPerPage: an index of 12,000 links (the Python docs'
// genindex-all has 17,242) is taken whole by default; --max-links-per-page
// bounds it, and what is past the bound is counted as links_over_max, not
// as dropped (the frontier was not full).
func TestE2EMaxLinksPerPage(t *testing.T) {
	ng := indexSite(t, 12000)
	for _, tt := range []struct {
		name             string
		args             []string
		discovered, over float64
	}{
		{"default", nil, 12001, 0},
		{"bounded", []string{"--max-links-per-page", "100"}, 101, 11900},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--crawl", "--depth", "1", "--robots", "off", "--max-pages", "1", "--json", ng.URL + "/"}, tt.args...)
			r := fetch(t, "", args...)
			if r.code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
			}
			sums := parseNDJSON(t, r.stdout)["summary"]
			if len(sums) != 1 {
				t.Fatalf("%d summaries; want 1:\n%s", len(sums), r.stdout)
			}
			s := sums[0]
			if s["discovered"] != tt.discovered || s["links_over_max"] != tt.over || s["dropped"] != float64(0) {
				t.Errorf("discovered %v, links_over_max %v, dropped %v; want %v, %v, 0",
					s["discovered"], s["links_over_max"], s["dropped"], tt.discovered, tt.over)
			}
		})
	}
	r := fetch(t, "", "--crawl", "--depth", "1", "--robots", "off", "--max-pages", "1", "--max-links-per-page", "10", ng.URL+"/")
	if want := "11990 links past --max-links-per-page"; !strings.Contains(r.stdout, want) {
		t.Errorf("text output without %q:\n%s", want, r.stdout)
	}
	if r := fetch(t, "", "--crawl", "--max-links-per-page", "0", ng.URL+"/"); r.code != 2 {
		t.Errorf("--max-links-per-page 0: exit %d; want 2", r.code)
	}
}
