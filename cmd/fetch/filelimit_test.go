package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/serve"
)

func TestFitFileLimit(t *testing.T) {
	for _, tt := range []struct {
		limit, inUse, perFetch, want, wantHubs int
		c, hubs                                int
	}{
		{limit: 1 << 20, inUse: 10, perFetch: 4, want: 1000, wantHubs: 0, c: 1000, hubs: 0},
		{limit: 128, inUse: 10, perFetch: 4, want: 1000, wantHubs: 2, c: (128 - 10 - filesReserved - 2*filesPerHub) / 4, hubs: 2},
		{limit: 128, inUse: 10, perFetch: 5, want: 10, wantHubs: 0, c: 10, hubs: 0},
		{limit: 128, inUse: 10, perFetch: 4, want: 1000, wantHubs: 100, c: (128 - 10 - filesReserved - 10*filesPerHub) / 4, hubs: 10},
		{limit: 16, inUse: 10, perFetch: 4, want: 100, wantHubs: 4, c: 1, hubs: 1},
	} {
		c, hubs := fitFileLimit(tt.limit, tt.inUse, tt.perFetch, tt.want, tt.wantHubs)
		if c != tt.c || hubs != tt.hubs {
			t.Errorf("fitFileLimit(%d, %d, %d, %d, %d) = %d, %d; want %d, %d", tt.limit, tt.inUse, tt.perFetch, tt.want, tt.wantHubs, c, hubs, tt.c, tt.hubs)
		}
	}
}

// TestE2EFileLimit: with an open-file limit of 128 (ulimit -n 128),
// -c 1000 fails no URL: the command lowers -c to what fits and says so
// once; to one host, and to many (whose idle keep-alive connections add
// up). A soft limit under a higher hard one is raised first: nothing to
// lower (issue 23, item 12).
func TestE2EFileLimit(t *testing.T) {
	const n = 400
	one := startServe(t)
	var oneHost, manyHosts strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&oneHost, "%s?i=%d\n", serve.URLFor(one.URL(), 100*time.Millisecond, 10), i)
	}
	var hosts []*serve.Server
	for i := 0; i < 20; i++ {
		hosts = append(hosts, startServe(t))
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&manyHosts, "%s?i=%d\n", serve.URLFor(hosts[i%len(hosts)].URL(), 50*time.Millisecond, 10), i)
	}
	dir := t.TempDir()
	writeFile(t, dir, "one.txt", oneHost.String())
	writeFile(t, dir, "many.txt", manyHosts.String())
	lowered := regexp.MustCompile(`fetch: -c 1000 lowered to (\d+): the open-file limit is 128 \(ulimit -n\)`)
	for _, tt := range []struct {
		name, ulimit, list string
		wantLowered        bool
	}{
		{"one host", "ulimit -n 128", "one.txt", true},
		{"many hosts", "ulimit -n 128", "many.txt", true},
		{"soft limit raised", "ulimit -Sn 128", "one.txt", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runShell(t, dir, tt.ulimit+" && fetch -c 1000 -q -i "+tt.list)
			if r.code != 0 {
				t.Errorf("exit %d; want 0; stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}
			if want := fmt.Sprintf("summary: %d URLs, %d ok, 0 failed", n, n); !strings.Contains(r.stdout, want) {
				t.Errorf("stdout %q; want %q", r.stdout, want)
			}
			if got := len(lowered.FindAllString(r.stderr, -1)); got != map[bool]int{true: 1, false: 0}[tt.wantLowered] || (!tt.wantLowered && r.stderr != "") {
				t.Errorf("stderr %q; want the lowered -c said %v", r.stderr, map[bool]string{true: "once", false: "never"}[tt.wantLowered])
			}
		})
	}
}
