package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

// storeSite starts nginx with a site of pages pages: / links to p0;
// page i links to i+1, 7i+1 and 13i+5 (mod the size).
func storeSite(t *testing.T, storeSitePages int) (*testserver.Nginx, []string) {
	t.Helper()
	files := map[string][]byte{"index.html": []byte(`<a href="/p0.html">0</a>`)}
	paths := []string{"/"}
	for i := 0; i < storeSitePages; i++ {
		var b strings.Builder
		for _, j := range []int{i + 1, 7*i + 1, 13*i + 5} {
			fmt.Fprintf(&b, `<a href="/p%d.html">%d</a> `, j%storeSitePages, j%storeSitePages)
		}
		files[fmt.Sprintf("p%d.html", i)] = []byte(b.String())
		paths = append(paths, fmt.Sprintf("/p%d.html", i))
	}
	return testserver.StartNginx(t, testserver.NginxOptions{Files: files}), paths
}

// worker is a fetch process of a shared crawl.
type worker struct {
	cmd    *exec.Cmd
	lines  atomic.Int64 // result lines written so far
	stderr strings.Builder
	mu     sync.Mutex
	done   chan struct{}
	code   int
}

func startWorker(t *testing.T, args ...string) *worker {
	t.Helper()
	w := &worker{done: make(chan struct{})}
	w.cmd = exec.Command(fetchBin, args...)
	w.cmd.Env = testEnv()
	out, err := w.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	w.cmd.Stderr = &lockedWriter{mu: &w.mu, w: &w.stderr}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), `"type":"result"`) {
				w.lines.Add(1)
			}
		}
		err := w.cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok {
			w.code = ee.ExitCode()
		}
		close(w.done)
	}()
	t.Cleanup(func() {
		w.cmd.Process.Kill()
		<-w.done
	})
	return w
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (w *worker) errText() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stderr.String()
}

// wait waits for the worker's end and wants exit 0.
func (w *worker) wait(t *testing.T, name string) {
	t.Helper()
	select {
	case <-w.done:
	case <-time.After(e2eTimeout):
		t.Fatalf("%s did not end within %v; stderr:\n%s", name, e2eTimeout, w.errText())
	}
	if w.code != 0 {
		t.Errorf("%s: exit %d; stderr:\n%s", name, w.code, w.errText())
	}
}

// waitLines waits until the worker has printed n results.
func (w *worker) waitLines(t *testing.T, n int64) {
	t.Helper()
	deadline := time.Now().Add(e2eTimeout)
	for w.lines.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("worker printed %d results in %v; want %d; stderr:\n%s", w.lines.Load(), e2eTimeout, n, w.errText())
		}
		select {
		case <-w.done:
			t.Fatalf("worker ended (exit %d) after %d results; stderr:\n%s", w.code, w.lines.Load(), w.errText())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// checkStoredCrawl reads the crawl back with fetch results and wants every
// page of the site once, and nginx to have served no page more than twice.
func checkStoredCrawl(t *testing.T, ng *testserver.Nginx, paths []string, store, id string) {
	t.Helper()
	r := fetch(t, "", "results", "--frontier", store, "--crawl-id", id)
	if r.code != 0 {
		t.Fatalf("fetch results: exit %d: %s", r.code, r.stderr)
	}
	objs := parseNDJSON(t, r.stdout)
	seen := map[string]int{}
	for _, o := range objs["result"] {
		seen[fmt.Sprint(o["url"])]++
		if o["status"] != float64(200) {
			t.Errorf("stored result %v", o)
		}
	}
	for _, p := range paths {
		if n := seen[ng.URL+p]; n != 1 {
			t.Errorf("%s: %d stored results; want 1", p, n)
		}
	}
	if len(objs["result"]) != len(paths) {
		t.Errorf("%d stored results; want %d", len(objs["result"]), len(paths))
	}
	entries, err := ng.AccessLog()
	if err != nil {
		t.Fatal(err)
	}
	reqs := map[string]int{}
	for _, e := range entries {
		reqs[e.URI]++
	}
	twice := 0
	for _, p := range paths {
		switch n := reqs[p]; {
		case n == 0:
			t.Errorf("%s never requested", p)
		case n == 2:
			twice++
		case n > 2:
			t.Errorf("%s requested %d times; want at most 2", p, n)
		}
	}
	t.Logf("%d pages, %d requested twice, %d requests in all", len(paths), twice, len(entries))
}

// crawlArgs are the arguments of a worker. With a delay between
// requests the crawl lasts long enough for a restart of redis-server to
// land in its middle; without, a killed worker has pages in flight.
func crawlArgs(store, id, url string, delay bool) []string {
	args := []string{"--crawl", "--json", "--depth", "100", "--frontier", store, "--crawl-id", id,
		"--claim-timeout", "2s", "--per-host", "8", "-c", "8", url + "/"}
	if delay {
		args = append(args, "--delay", "5ms")
	}
	return args
}

// TestE2ERedisWorkerKilled: three workers share a crawl; one is killed
// with SIGKILL mid-crawl (pages in flight) and started again. The stored
// results hold every page once; no page was fetched more than twice.
func TestE2ERedisWorkerKilled(t *testing.T) {
	ng, paths := storeSite(t, 1000)
	rd := testserver.StartRedis(t, testserver.RedisOptions{})
	store := rd.URL(0, "")
	args := crawlArgs(store, "kill", ng.URL, false)
	ws := []*worker{startWorker(t, args...), startWorker(t, args...), startWorker(t, args...)}
	// The first worker to print 20 results is killed.
	victim := -1
	for deadline := time.Now().Add(e2eTimeout); victim < 0; {
		for i, w := range ws {
			if w.lines.Load() >= 20 {
				victim = i
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no worker printed 20 results")
		}
		time.Sleep(time.Millisecond)
	}
	follower := startWorker(t, "results", "--frontier", store, "--crawl-id", "kill", "--follow")
	if err := ws[victim].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-ws[victim].done
	restarted := startWorker(t, args...)
	for i, w := range append(ws, restarted) {
		if i != victim {
			w.wait(t, fmt.Sprint("worker ", i))
		}
	}
	if !strings.Contains(restarted.errText(), "crawl id kill") {
		t.Errorf("stderr without the crawl id: %s", restarted.errText())
	}
	checkStoredCrawl(t, ng, paths, store, "kill")
	follower.wait(t, "fetch results --follow")
	if n := follower.lines.Load(); n != int64(len(paths)) {
		t.Errorf("fetch results --follow printed %d results; want %d", n, len(paths))
	}
	// A worker joining a finished crawl adds nothing and fetches nothing.
	late := fetch(t, "", args...)
	if late.code != 0 || strings.Contains(late.stdout, `"type":"result"`) {
		t.Errorf("late worker: exit %d, stdout %s", late.code, late.stdout)
	}
}

// TestE2ERedisRestarted: redis-server (AOF on) is restarted mid-crawl;
// the workers retry, say so, and lose and duplicate nothing. One worker
// is then interrupted (SIGINT: it gives its claims back).
func TestE2ERedisRestarted(t *testing.T) {
	ng, paths := storeSite(t, 300)
	rd := testserver.StartRedis(t, testserver.RedisOptions{AOF: true})
	store := rd.URL(0, "")
	args := crawlArgs(store, "restart", ng.URL, true)
	ws := []*worker{startWorker(t, args...), startWorker(t, args...), startWorker(t, args...)}
	ws[0].waitLines(t, 20)
	rd.Restart(500 * time.Millisecond)
	ws[2].waitLines(t, ws[2].lines.Load()+5)
	if err := ws[2].cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-ws[2].done
	if ws[2].code != 130 {
		t.Errorf("interrupted worker: exit %d; want 130; stderr:\n%s", ws[2].code, ws[2].errText())
	}
	retried := false
	for i, w := range ws {
		if i < 2 {
			w.wait(t, fmt.Sprint("worker ", i))
		}
		retried = retried || strings.Contains(w.errText(), "retrying in")
	}
	if !retried {
		t.Errorf("no worker said it retried")
	}
	for _, w := range ws {
		if strings.Contains(w.errText(), "pool.go") {
			t.Errorf("go-redis's own log on stderr:\n%s", w.errText())
		}
	}
	checkStoredCrawl(t, ng, paths, store, "restart")
}

// TestE2EBoltKilled: a crawl on bolt: is killed with SIGKILL and run
// again with the same command: it resumes, and the file holds every page
// once.
func TestE2EBoltKilled(t *testing.T) {
	ng, paths := storeSite(t, 300)
	store := "bolt:" + filepath.Join(t.TempDir(), "crawl.db")
	killAndResume(t, ng, paths, store, "bolt", crawlArgs(store, "bolt", ng.URL, false))
}

// killAndResume runs a worker with args on a bolt store, kills it with
// SIGKILL after 40 results, runs it again to its end, and checks the
// stored results and nginx's log.
func killAndResume(t *testing.T, ng *testserver.Nginx, paths []string, store, id string, args []string) {
	t.Helper()
	w := startWorker(t, args...)
	w.waitLines(t, 40)
	if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-w.done
	again := startWorker(t, args...)
	again.wait(t, "resumed run")
	if n := again.lines.Load(); n == 0 || n >= int64(len(paths)) {
		t.Errorf("the resumed run fetched %d URLs; want the rest of %d", n, len(paths))
	}
	checkStoredCrawl(t, ng, paths, store, id)
}

// TestE2EFrontierFlags: the store flags' usage errors, a wrong password,
// a server that is no Redis, and --shard.
func TestE2EFrontierFlags(t *testing.T) {
	rd := testserver.StartRedis(t, testserver.RedisOptions{Password: "sesame"})
	notRedis := startServe(t)
	ng, _ := storeSite(t, 300)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"claim timeout without a store", []string{"--claim-timeout", "1s", ng.URL}, 2, "--claim-timeout needs --crawl, or --frontier with a URL list"},
		{"depth without crawl", []string{"--depth", "2", "--frontier", rd.URL(0, "sesame"), ng.URL}, 2, "--depth needs --crawl"},
		{"bad frontier", []string{"--crawl", "--frontier", "mongo://x", ng.URL}, 2, "--frontier: want memory"},
		{"crawl id with memory", []string{"--crawl", "--crawl-id", "x", ng.URL}, 2, "--crawl-id needs"},
		{"compare with store", []string{"--crawl", "--compare", "--frontier", rd.URL(0, "sesame"), ng.URL}, 2, "--compare and --repeat need"},
		{"wrong password", []string{"--crawl", "--frontier", rd.URL(0, "wrong"), ng.URL}, 2, "WRONGPASS"},
		{"no password", []string{"--crawl", "--frontier", rd.URL(0, ""), ng.URL}, 2, "NOAUTH"},
		{"not redis", []string{"--crawl", "--frontier", "redis://" + strings.TrimPrefix(notRedis.URL(), "http://") + "/0", ng.URL}, 2, "frontier store unusable"},
		{"bad shard", []string{"--shard", "4/4", ng.URL}, 2, "--shard"},
		{"results without id", []string{"results", "--frontier", rd.URL(0, "sesame")}, 2, "--crawl-id is required"},
		{"results of no crawl (redis)", []string{"results", "--frontier", rd.URL(0, "sesame"), "--crawl-id", "nosuch"}, 2, `no such crawl: redis at `},
		{"results, bolt and follow", []string{"results", "--frontier", "bolt:" + filepath.Join(t.TempDir(), "f.db"), "--crawl-id", "x", "--follow"}, 2, "--follow works with redis only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fetch(t, "", tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, tt.code, tt.stderr)
			}
		})
	}
	t.Run("results of no crawl (bolt)", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "l.db")
		if r := fetch(t, "", "results", "--frontier", "bolt:"+db, "--crawl-id", "x"); r.code != 2 || !strings.Contains(r.stderr, db+" does not exist") {
			t.Errorf("missing file: exit %d, stderr %q; want 2 saying it does not exist", r.code, r.stderr)
		}
		if _, err := os.Stat(db); err == nil {
			t.Errorf("fetch results created %s; want a read-only command to create nothing", db)
		}
		if r := fetch(t, ng.URL+"/p1.html\n", "-q", "--frontier", "bolt:"+db, "--crawl-id", "mine"); r.code != 0 {
			t.Fatalf("storing a list: exit %d: %s", r.code, r.stderr)
		}
		r := fetch(t, "", "results", "--frontier", "bolt:"+db, "--crawl-id", "nosuch")
		if r.code != 2 || !strings.Contains(r.stderr, `holds no crawl "nosuch" (it holds "mine")`) {
			t.Errorf("wrong id: exit %d, stderr %q; want 2 naming the crawls it holds", r.code, r.stderr)
		}
		if r := fetch(t, "", "results", "--frontier", "bolt:"+db, "--crawl-id", "mine"); r.code != 0 || len(parseNDJSON(t, r.stdout)["result"]) != 1 {
			t.Errorf("right id: exit %d, stdout %q, stderr %q; want the one result", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("store passwords masked", func(t *testing.T) {
		runs := []struct {
			name, want string
			args       []string
		}{
			{"crawl", "(frontier redis://:***@", []string{"--crawl", "--depth", "0", "--frontier", rd.URL(0, "sesame"), "--crawl-id", "mask", ng.URL + "/p1.html"}},
			{"no store", `got "mongo://u:***@x"`, []string{"--crawl", "--frontier", "mongo://u:sesame@x", ng.URL}},
			{"no URL", "redis://u:***@127.0.0.1:1/0%", []string{"results", "--frontier", "redis://u:sesame@127.0.0.1:1/0%", "--crawl-id", "x"}},
		}
		for _, r := range runs {
			res := fetch(t, "", r.args...)
			if !strings.Contains(res.stderr, r.want) || strings.Contains(res.stderr+res.stdout, "sesame") {
				t.Errorf("%s: exit %d, stderr %q; want %q and never the password", r.name, res.code, res.stderr, r.want)
			}
		}
	})
	t.Run("shard", func(t *testing.T) {
		var urls []string
		for i := 0; i < 40; i++ {
			urls = append(urls, fmt.Sprintf("%s/p%d.html", ng.URL, i))
		}
		got := map[string]int{}
		for i := 0; i < 3; i++ {
			r := fetch(t, strings.Join(urls, "\n")+"\n", "--json", "--shard", fmt.Sprintf("%d/3", i))
			if r.code != 0 {
				t.Fatalf("shard %d: exit %d: %s", i, r.code, r.stderr)
			}
			res := parseNDJSON(t, r.stdout)["result"]
			if len(res) == 0 || len(res) == len(urls) {
				t.Errorf("shard %d/3 fetched %d of %d", i, len(res), len(urls))
			}
			for _, o := range res {
				got[fmt.Sprint(o["url"])]++
			}
		}
		for _, u := range urls {
			if got[u] != 1 {
				t.Errorf("%s fetched %d times over the shards; want 1", u, got[u])
			}
		}
	})
	os.Remove("x.db")
}

// listFile writes the URLs of paths on ng to a file, one a line, with
// the first URL once more at the end, and returns its name.
func listFile(t *testing.T, ng *testserver.Nginx, paths []string) string {
	t.Helper()
	var b strings.Builder
	for _, p := range append(paths, paths[0]) {
		b.WriteString(ng.URL + p + "\n")
	}
	name := filepath.Join(t.TempDir(), "urls.txt")
	if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestE2ERedisListShared: three workers given the same URL list share it
// through Redis (no --crawl): every URL, the duplicate line included, is
// fetched once by one of them, with no robots.txt and no links followed,
// and fetch results holds each once. The crawl id is derived from the
// list, so the workers meet without naming it.
func TestE2ERedisListShared(t *testing.T) {
	ng, paths := storeSite(t, 300)
	rd := testserver.StartRedis(t, testserver.RedisOptions{})
	list := listFile(t, ng, paths)
	var ws []*worker
	for i := 0; i < 3; i++ {
		ws = append(ws, startWorker(t, "-i", list, "--json", "-c", "4", "--frontier", rd.URL(0, "")))
	}
	total := int64(0)
	id := ""
	for i, w := range ws {
		w.wait(t, fmt.Sprint("worker ", i))
		total += w.lines.Load()
		m := regexp.MustCompile(`list id (list-[0-9a-f]+)`).FindStringSubmatch(w.errText())
		if m == nil || (id != "" && m[1] != id) {
			t.Fatalf("worker %d: list id %v, want the others' (%s); stderr:\n%s", i, m, id, w.errText())
		}
		id = m[1]
	}
	if total != int64(len(paths)) {
		t.Errorf("the workers printed %d results; want %d (each URL once)", total, len(paths))
	}
	checkStoredCrawl(t, ng, paths, rd.URL(0, ""), id)
	entries, err := ng.AccessLog()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(paths) {
		t.Errorf("%d requests; want %d, no robots.txt, no links, no URL twice", len(entries), len(paths))
	}
}

// TestE2EBoltListKilled: a URL list on bolt, killed with SIGKILL midway
// and run again with the same command, ends with every URL fetched and
// stored once (at most twice for those in flight at the kill).
func TestE2EBoltListKilled(t *testing.T) {
	ng, paths := storeSite(t, 300)
	store := "bolt:" + filepath.Join(t.TempDir(), "list.db")
	killAndResume(t, ng, paths, store, "list", []string{"-i", listFile(t, ng, paths), "--json", "-c", "8", "--frontier", store, "--crawl-id", "list"})
}

// TestE2EListStoreInterruptReading: SIGINT while the list for a store is
// still being read from a pipe (the writer has more to say) ends the run
// as an interrupt, 130, not as a usage error.
func TestE2EListStoreInterruptReading(t *testing.T) {
	cmd := exec.Command(fetchBin, "--frontier", "bolt:"+filepath.Join(t.TempDir(), "l.db"))
	cmd.Env = testEnv()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(stdin, "http://127.0.0.1:1/a\n")
	time.Sleep(300 * time.Millisecond) // the list is being read: it cannot get further
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(e2eTimeout):
		cmd.Process.Kill()
		t.Fatalf("no exit %v after SIGINT", e2eTimeout)
	}
	ee, _ := err.(*exec.ExitError)
	if ee == nil || ee.ExitCode() != 130 || strings.Contains(stderr.String(), "context canceled") {
		t.Errorf("exit %v, stderr %q; want 130 and no error message", err, stderr.String())
	}
}
