package main

// End-to-end tests of the crawl flags and the stores as a user meets
// them (issues 23 and 24): the built binary, nginx and redis-server.

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

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

// closedPort returns 127.0.0.1:PORT where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestE2EStoreNotThere: a store never reached (a port where nothing
// listens, a port that cannot be) is a usage error, exit 2, named once
// with its password masked, with no retries: for a crawl, a list and
// fetch results.
func TestE2EStoreNotThere(t *testing.T) {
	srv := startServe(t)
	closed := "redis://:sekrit@" + closedPort(t) + "/0"
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"crawl closed port", []string{"--crawl", "--frontier", closed, srv.URL() + "/"}},
		{"crawl port 99999", []string{"--crawl", "--frontier", "redis://127.0.0.1:99999/0", srv.URL() + "/"}},
		{"list closed port", []string{"--frontier", closed, srv.URL() + "/"}},
		{"results closed port", []string{"results", "--frontier", closed, "--crawl-id", "x"}},
		{"results follow port 99999", []string{"results", "--frontier", "redis://127.0.0.1:99999/0", "--crawl-id", "x", "--follow"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := fetch(t, "", tt.args...)
			if r.code != 2 {
				t.Errorf("exit %d; want 2; stderr:\n%s", r.code, r.stderr)
			}
			if strings.Contains(r.stderr, "retrying") || strings.Contains(r.stderr, "sekrit") {
				t.Errorf("stderr retries or shows the password:\n%s", r.stderr)
			}
			if n := strings.Count(r.stderr, "redis"); n != 1 {
				t.Errorf("stderr names the store %d times; want once:\n%s", n, r.stderr)
			}
		})
	}
}

// silentPeer accepts connections and never answers: a Redis port
// behind a firewall that lets the handshake through, a hung server, or a
// proxy that never forwards. accepted is closed at the first connection;
// hangup closes the connections accepted so far.
func silentPeer(t *testing.T) (addr string, accepted <-chan struct{}, hangup func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan struct{})
	var conns []net.Conn
	var mu sync.Mutex
	hangup = func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		conns = nil
		mu.Unlock()
	}
	go func() {
		once := sync.Once{}
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			once.Do(func() { close(ch) })
		}
	}()
	t.Cleanup(func() {
		l.Close()
		hangup()
	})
	return l.Addr().String(), ch, hangup
}

// TestE2EStoreInterruptWhileConnecting: Ctrl-C while a Redis that does
// not answer is being reached ends the run as interrupted (130), at once.
func TestE2EStoreInterruptWhileConnecting(t *testing.T) {
	srv := startServe(t)
	for _, args := range [][]string{
		{"--crawl", "--frontier", "redis://%s/0", srv.URL() + "/"},
		{"results", "--frontier", "redis://%s/0", "--crawl-id", "x"},
	} {
		t.Run(args[0], func(t *testing.T) {
			addr, accepted, _ := silentPeer(t)
			args := slices.Clone(args)
			args[2] = fmt.Sprintf(args[2], addr)
			w := startWorker(t, args...)
			select {
			case <-accepted:
			case <-w.done:
				t.Fatalf("ended (exit %d) before it connected; stderr:\n%s", w.code, w.errText())
			}
			if err := w.cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			select {
			case <-w.done:
			case <-time.After(e2eTimeout):
				t.Fatal("not ended after SIGINT")
			}
			if w.code != 130 {
				t.Errorf("exit %d; want 130; stderr:\n%s", w.code, w.errText())
			}
		})
	}
}

// TestE2EStorePasswordOutsideURL: a Redis password given by
// REDISCLI_AUTH or --frontier-auth, so that it shows in no
// command line, for a crawl and for fetch results; a wrong one is exit 2.
func TestE2EStorePasswordOutsideURL(t *testing.T) {
	srv := startServe(t)
	rd := testserver.StartRedis(t, testserver.RedisOptions{Password: "s3cret"})
	store := rd.URL(0, "")
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good"), filepath.Join(dir, "bad")
	os.WriteFile(good, []byte("s3cret\n"), 0o600)
	os.WriteFile(bad, []byte("nope\n"), 0o600)
	crawl := func(id string) []string {
		return []string{"--crawl", "--depth", "0", "--json", "--frontier", store, "--crawl-id", id, srv.URL() + "/"}
	}
	for _, tt := range []struct {
		name string
		env  []string
		args []string
		code int
	}{
		{"env", []string{"REDISCLI_AUTH=s3cret"}, crawl("env"), 0},
		{"env results", []string{"REDISCLI_AUTH=s3cret"}, []string{"results", "--frontier", store, "--crawl-id", "env"}, 0},
		{"file", nil, append(crawl("file"), "--frontier-auth", good), 0},
		{"file results", nil, []string{"results", "--frontier", store, "--crawl-id", "file", "--frontier-auth", good}, 0},
		{"wrong file", nil, append(crawl("bad"), "--frontier-auth", bad), 2},
		{"wrong env", []string{"REDISCLI_AUTH=nope"}, crawl("bad"), 2},
		{"none", nil, crawl("none"), 2},
		{"missing file", nil, append(crawl("missing"), "--frontier-auth", filepath.Join(dir, "missing")), 2},
		{"file and URL password", nil, []string{"--crawl", "--frontier", rd.URL(0, "s3cret"), "--frontier-auth", good, srv.URL() + "/"}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := fetchEnv(t, tt.env, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d; want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			if tt.code == 0 && len(parseNDJSON(t, r.stdout)["result"]) != 1 {
				t.Errorf("want 1 result:\n%s", r.stdout)
			}
			if strings.Contains(r.stderr, "s3cret") || strings.Contains(r.stderr, "nope") {
				t.Errorf("stderr shows a password:\n%s", r.stderr)
			}
		})
	}
}

// damagedCopies writes copies of the bolt file at path: truncated at
// several points, and with page headers flipped (bbolt checks no
// checksum but its meta pages': a flipped page header is what makes it
// panic or fault).
func damagedCopies(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := map[string]string{}
	write := func(name string, b []byte) {
		p := filepath.Join(dir, name+".db")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out[name] = p
	}
	for _, pct := range []int{10, 25, 50, 75, 90, 99} {
		write(fmt.Sprintf("truncated-%d%%", pct), data[:len(data)*pct/100])
	}
	const page = 4096
	pages := len(data) / page
	for _, at := range []int{2, pages / 3, pages / 2, 2 * pages / 3} {
		b := slices.Clone(data)
		for i := at * page; i < at*page+16 && i < len(b); i++ {
			b[i] ^= 0xff
		}
		write(fmt.Sprintf("page-%d-flipped", at), b)
	}
	for _, field := range []struct {
		name string
		at   int
	}{{"flags", 8}, {"count", 10}, {"overflow", 12}} {
		b := slices.Clone(data)
		for p := 2; p < pages; p += 3 {
			b[p*page+field.at] ^= 0x5a
		}
		write("every-third-page-"+field.name+"-flipped", b)
	}
	return out
}

// TestE2EBoltDamaged: a crawl on a damaged copy of a real bolt crawl
// file (truncated, bytes flipped) is exit 2 naming the file, never a Go
// panic or a fault; fetch results prints what it can read and salvage,
// each URL at most once, then says the file is damaged (exit 2).
func TestE2EBoltDamaged(t *testing.T) {
	ng, paths := storeSite(t, 300)
	db := filepath.Join(t.TempDir(), "crawl.db")
	store := "bolt:" + db
	if r := fetch(t, "", crawlArgs(store, "whole", ng.URL, false)...); r.code != 0 {
		t.Fatalf("crawl: exit %d; stderr:\n%s", r.code, r.stderr)
	}
	crashed := regexp.MustCompile(`panic:|goroutine \d+|SIGSEGV|SIGBUS|fatal error`)
	for name, p := range damagedCopies(t, db) {
		t.Run(name, func(t *testing.T) {
			r := fetch(t, "", "results", "--frontier", "bolt:"+p, "--crawl-id", "whole")
			if crashed.MatchString(r.stderr) {
				t.Fatalf("fetch results crashed:\n%s", r.stderr)
			}
			urls := map[string]bool{}
			var objs []map[string]any
			if r.stdout != "" {
				objs = parseNDJSON(t, r.stdout)["result"]
			}
			for _, o := range objs {
				u := fmt.Sprint(o["url"])
				if urls[u] {
					t.Errorf("%s printed twice", u)
				}
				urls[u] = true
			}
			switch r.code {
			case 0: // the damage missed every page the results are on
				if len(urls) != len(paths) {
					t.Errorf("exit 0 with %d results; want %d", len(urls), len(paths))
				}
			case 2:
				if !strings.Contains(r.stderr, p) || !strings.Contains(r.stderr, "damaged") {
					t.Errorf("stderr does not name the damaged file:\n%s", r.stderr)
				}
			default:
				t.Errorf("fetch results: exit %d; want 2 (or 0); stderr:\n%s", r.code, r.stderr)
			}
			t.Logf("fetch results: exit %d, %d of %d results: %s", r.code, len(urls), len(paths), strings.TrimSpace(r.stderr))
			c := fetch(t, "", crawlArgs("bolt:"+p, "whole", ng.URL, false)...)
			if crashed.MatchString(c.stderr) {
				t.Fatalf("crawl crashed:\n%s", c.stderr)
			}
			if c.code != 0 && (c.code != 2 || !strings.Contains(c.stderr, p)) {
				t.Errorf("crawl: exit %d; want 2 naming the file; stderr:\n%s", c.code, c.stderr)
			}
		})
	}
}

// waitStderr waits until the worker's stderr holds s.
func (w *worker) waitStderr(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(e2eTimeout)
	for !strings.Contains(w.errText(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("stderr without %q after %v:\n%s", s, e2eTimeout, w.errText())
		}
		select {
		case <-w.done:
			t.Fatalf("ended (exit %d) without %q on stderr:\n%s", w.code, s, w.errText())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestE2EResultsFollowWaits: fetch results --follow started before its
// crawl (bolt and redis) says what it waits for, then prints every
// result once and ends with the crawl; with --timeout, a crawl that
// never begins (a mistyped id) is given up, exit 2.
func TestE2EResultsFollowWaits(t *testing.T) {
	ng, paths := storeSite(t, 100)
	rd := testserver.StartRedis(t, testserver.RedisOptions{})
	for _, store := range []string{"bolt:" + filepath.Join(t.TempDir(), "crawl.db"), rd.URL(0, "")} {
		t.Run(store[:4], func(t *testing.T) {
			follower := startWorker(t, "results", "--frontier", store, "--crawl-id", "later", "--follow")
			follower.waitStderr(t, `waiting for crawl "later" to begin`)
			crawler := startWorker(t, crawlArgs(store, "later", ng.URL, true)...)
			crawler.wait(t, "crawl")
			follower.wait(t, "fetch results --follow")
			if n := follower.lines.Load(); n != int64(len(paths)) {
				t.Errorf("fetch results --follow printed %d results; want %d; stderr:\n%s", n, len(paths), follower.errText())
			}
			r := fetch(t, "", "results", "--frontier", store, "--crawl-id", "latr", "--follow", "--timeout", "500ms")
			if r.code != 2 || !strings.Contains(r.stderr, "has not begun") {
				t.Errorf("a mistyped id with --timeout: exit %d; want 2, has not begun; stderr:\n%s", r.code, r.stderr)
			}
		})
	}
}

// TestE2EBoltWatched: a bolt crawl is read while it runs, by fetch
// results (what is stored so far, each URL once) and by fetch results
// --follow (every page once, ending with the crawl), where a second
// crawl on the file is still refused.
func TestE2EBoltWatched(t *testing.T) {
	ng, paths := storeSite(t, 150)
	store := "bolt:" + filepath.Join(t.TempDir(), "crawl.db")
	// Slow enough (150 pages 30 ms apart) that the crawl still runs when
	// the second one has waited its second for the file's lock.
	args := append(crawlArgs(store, "watched", ng.URL, false), "--per-host", "1", "--delay", "30ms")
	crawler := startWorker(t, args...)
	crawler.waitLines(t, 20)
	follower := startWorker(t, "results", "--frontier", store, "--crawl-id", "watched", "--follow")
	r := fetch(t, "", "results", "--frontier", store, "--crawl-id", "watched")
	if r.code != 0 {
		t.Fatalf("fetch results while the crawl runs: exit %d; stderr:\n%s", r.code, r.stderr)
	}
	seen := map[string]bool{}
	for _, o := range parseNDJSON(t, r.stdout)["result"] {
		u := fmt.Sprint(o["url"])
		if seen[u] || o["status"] != float64(200) {
			t.Errorf("result %v: twice or not 200", o)
		}
		seen[u] = true
	}
	if len(seen) < 20 {
		t.Errorf("fetch results while the crawl runs printed %d results; want at least the 20 printed", len(seen))
	}
	second := fetch(t, "", args...)
	if second.code != 2 || !strings.Contains(second.stderr, "in use") {
		t.Errorf("a second crawl on the file: exit %d; want 2, in use; stderr:\n%s", second.code, second.stderr)
	}
	crawler.wait(t, "crawl")
	follower.wait(t, "fetch results --follow")
	if n := follower.lines.Load(); n != int64(len(paths)) {
		t.Errorf("fetch results --follow printed %d results; want %d; stderr:\n%s", n, len(paths), follower.errText())
	}
	checkStoredCrawl(t, ng, paths, store, "watched")
}

// TestE2ERedisLostCrawl: redis-server, without persistence, restarted
// mid-crawl comes back empty; each worker notices that the crawl's keys
// vanished and stops with an error (exit 1), never a success.
func TestE2ERedisLostCrawl(t *testing.T) {
	ng, _ := storeSite(t, 300)
	rd := testserver.StartRedis(t, testserver.RedisOptions{})
	store := rd.URL(0, "")
	args := crawlArgs(store, "lost", ng.URL, true)
	ws := []*worker{startWorker(t, args...), startWorker(t, args...)}
	ws[0].waitLines(t, 20)
	rd.Restart(0)
	for i, w := range ws {
		select {
		case <-w.done:
		case <-time.After(e2eTimeout):
			t.Fatalf("worker %d did not end within %v; stderr:\n%s", i, e2eTimeout, w.errText())
		}
		t.Logf("worker %d: exit %d; stderr:\n%s", i, w.code, w.errText())
		if w.code != 1 || !strings.Contains(w.errText(), "keys are gone") {
			t.Errorf("worker %d: exit %d; want 1, saying the crawl's keys are gone; stderr:\n%s", i, w.code, w.errText())
		}
	}
}

// hostileLinksSite starts nginx with pages of n links of about size
// bytes each, every link new: nginx's SSI writes the request's random
// id into each (/x/ID/I/PAD), so every page fetched yields n URLs never
// seen, each about size bytes long and found on a page whose URL is as
// long.
func hostileLinksSite(t *testing.T, n, size int) *testserver.Nginx {
	t.Helper()
	pad := strings.Repeat("p", size)
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "<a href=\"/x/<!--# echo var=\"request_id\" -->/%d/%s\">.</a>\n", i, pad)
	}
	return testserver.StartNginx(t, testserver.NginxOptions{
		Files:             map[string][]byte{"hostile.html": []byte(b.String())},
		ExtraServerConfig: "location /x/ { ssi on; rewrite ^ /hostile.html break; }",
		NoAccessLog:       true,
	})
}

// TestE2EFrontierBytes: pages of 10,000 links of 4 KB each (every link
// new) fill the frontier by bytes long before its count of URLs:
// --max-frontier-bytes bounds it, and what is refused is counted in
// dropped. (Peak memory is measured outside the tests, with
// /usr/bin/time -v: a process's peak RSS depends on how much CPU its
// garbage collector gets, which a shared machine does not promise.)
func TestE2EFrontierBytes(t *testing.T) {
	ng := hostileLinksSite(t, 10000, 4000)
	seed := ng.URL + "/x/seed"
	r := fetch(t, "", "--crawl", "--json", "--depth", "100", "--robots", "off", "--max-pages", "3",
		"--max-frontier-bytes", "10MiB", seed)
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	s := parseNDJSON(t, r.stdout)["summary"][0]
	disc, dropped := s["discovered"].(float64), s["dropped"].(float64)
	// Each queued URL counts at least its own 4 KB: 10 MiB holds at
	// most 2,560 of them; the seed's 10,000 links alone pass that.
	if disc > 2560 || dropped < 10000-2560 {
		t.Errorf("--max-frontier-bytes 10MiB: discovered %v, dropped %v; want at most 2,560 queued, the rest dropped", disc, dropped)
	}
}

// TestE2ERedisDeadWorkerLease: a worker that joins a running crawl and
// is SIGKILLed while it holds claims (parked behind its robots.txt,
// whose fetch hangs in a proxy that never forwards: it never reached
// nginx) stops beating; with the default claim timeout the two others
// take its share over within seconds and finish the crawl: every page
// requested once (nginx's access log), every result stored once.
func TestE2ERedisDeadWorkerLease(t *testing.T) {
	ng, paths := storeSite(t, 300)
	rd := testserver.StartRedis(t, testserver.RedisOptions{})
	store := rd.URL(0, "")
	proxy, accepted, _ := silentPeer(t)
	args := []string{"--crawl", "--json", "--depth", "100", "--frontier", store, "--crawl-id", "lease",
		"--per-host", "8", "-c", "8", "--delay", "2ms", ng.URL + "/"}
	ws := []*worker{startWorker(t, args...), startWorker(t, args...)}
	ws[0].waitLines(t, 10)
	// The victim claims pages and parks them behind its robots.txt,
	// whose fetch hangs in the proxy.
	victim := startWorker(t, append(args, "-x", "http://"+proxy)...)
	select {
	case <-accepted:
	case <-victim.done:
		t.Fatalf("victim ended (exit %d); stderr:\n%s", victim.code, victim.errText())
	}
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	for i, w := range ws {
		w.wait(t, fmt.Sprint("worker ", i))
	}
	entries, err := ng.AccessLog()
	if err != nil {
		t.Fatal(err)
	}
	reqs := map[string]int{}
	for _, e := range entries {
		reqs[e.URI]++
	}
	for _, p := range paths {
		if reqs[p] != 1 {
			t.Errorf("%s requested %d times; want 1", p, reqs[p])
		}
	}
	checkStoredCrawl(t, ng, paths, store, "lease")
}

// TestE2ERedisLiveWorkerKeepsClaim: a live worker whose fetch lasts far
// longer than the claim timeout (it hangs in a proxy) keeps its claim:
// another worker, polling all along, takes nothing, and the page is
// never requested from nginx; when the slow fetch ends, both end.
func TestE2ERedisLiveWorkerKeepsClaim(t *testing.T) {
	ng, _ := storeSite(t, 10)
	rd := testserver.StartRedis(t, testserver.RedisOptions{})
	store := rd.URL(0, "")
	proxy, accepted, hangup := silentPeer(t)
	args := []string{"--crawl", "--json", "--depth", "0", "--robots", "off", "--frontier", store, "--crawl-id", "slow",
		"--claim-timeout", "1s", ng.URL + "/"}
	slow := startWorker(t, append(args, "-x", "http://"+proxy)...)
	select {
	case <-accepted:
	case <-slow.done:
		t.Fatalf("slow worker ended (exit %d); stderr:\n%s", slow.code, slow.errText())
	}
	claimedAt := time.Now()
	other := startWorker(t, args...)
	// Wait until the other worker has claimed (each claim beats, in its
	// clock) three claim timeouts after the slow one's claim began.
	admin := redis.NewClient(&redis.Options{Addr: rd.Addr})
	defer admin.Close()
	deadline := time.Now().Add(e2eTimeout)
	for {
		zs, err := admin.ZRangeWithScores(context.Background(), "greenfetch:{slow}:hb", 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		late := false
		for _, z := range zs {
			name := fmt.Sprint(z.Member)
			if strings.Contains(name, fmt.Sprintf("-%d-", other.cmd.Process.Pid)) && int64(z.Score) >= claimedAt.Add(3*time.Second).UnixMilli() {
				late = true
			}
		}
		if late {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other worker did not claim for %v; stderr:\n%s", e2eTimeout, other.errText())
		}
		select {
		case <-other.done:
			t.Fatalf("the other worker ended (exit %d) while the slow one held the page; stderr:\n%s", other.code, other.errText())
		case <-time.After(20 * time.Millisecond):
		}
	}
	hangup() // the slow fetch ends (a proxy error): its page is done
	slow.waitDone(t)
	other.wait(t, "the other worker")
	if n := other.lines.Load(); n != 0 {
		t.Errorf("the other worker fetched %d pages; want 0 (the slow worker's claim is its own)", n)
	}
	entries, err := ng.AccessLog()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("nginx served %d requests; want 0 (the page was never taken from the slow worker)", len(entries))
	}
}

// waitDone waits for the worker's end, whatever its exit code.
func (w *worker) waitDone(t *testing.T) {
	t.Helper()
	select {
	case <-w.done:
	case <-time.After(e2eTimeout):
		t.Fatalf("did not end within %v; stderr:\n%s", e2eTimeout, w.errText())
	}
}
