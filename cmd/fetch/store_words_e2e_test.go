package main

// What the command says about crawls and lists kept in a store (issue 23,
// item 13): a list in a list's words; an interrupted bolt: crawl that it
// can be resumed, and how; a finished one that it is complete, and how
// to read it back, instead of running again to "0 URLs, 1 duplicates".

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

func TestE2EStoreWords(t *testing.T) {
	srv := startServe(t)
	dir := t.TempDir()
	list := writeFile(t, dir, "list.txt", srv.URL()+"/size/1\n"+srv.URL()+"/size/2\n"+srv.URL()+"/size/3\n")
	complete := regexp.MustCompile(`fetch: (crawl|list) ((?:crawl|list)-[0-9a-f]+) in bolt:\S+ is complete: nothing is left to fetch; its results: (fetch results --frontier \S+ --crawl-id \S+)\n`)

	t.Run("list", func(t *testing.T) {
		db := "bolt:" + filepath.Join(dir, "list.db")
		r := fetch(t, "", "--frontier", db, "-i", list)
		if r.code != 0 || !regexp.MustCompile(`^fetch: list id list-[0-9a-f]+ \(frontier bolt:`).MatchString(r.stderr) {
			t.Errorf("exit %d, stderr %q; want 0 and the list's id", r.code, r.stderr)
		}
		if !strings.Contains(r.stdout, "\nlist: 3 fetched, 3 queued, 0 already queued or fetched, 0 dropped\n") || strings.Contains(r.stdout, "crawl") || strings.Contains(r.stdout, "discovered") {
			t.Errorf("stdout %q; want a list's words, none of a crawl's", r.stdout)
		}
		// Again: complete, nothing run; the command it names reads the list back.
		out := writeFile(t, dir, "results.txt", "the first run's results\n")
		r = fetch(t, "", "--frontier", db, "-i", list, "-o", out)
		m := complete.FindStringSubmatch(r.stderr)
		if r.code != 0 || m == nil || m[1] != "list" {
			t.Fatalf("again: exit %d, stderr %q; want 0 and the list said complete", r.code, r.stderr)
		}
		wantFile(t, out, "the first run's results\n")
		wantNoFile(t, out+partialSuffix)
		back := runShell(t, dir, m[3])
		if back.code != 0 || len(parseNDJSON(t, back.stdout)["result"]) != 3 {
			t.Errorf("%s: exit %d, stdout %q; want the 3 results", m[3], back.code, back.stdout)
		}
	})

	t.Run("crawl interrupted, resumed, complete", func(t *testing.T) {
		db := "bolt:" + filepath.Join(dir, "crawl.db")
		args := []string{"--crawl", "--depth", "0", "-c", "1", "--per-host", "1", "--frontier", db,
			srv.URL() + "/size/1", srv.URL() + "/delay/60s/size/2", srv.URL() + "/size/3"}
		ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, fetchBin, args...)
		cmd.Env = testEnv()
		var errOut strings.Builder
		cmd.Stderr = &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the slow page in flight", func() bool { return srv.Active() > 0 })
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
		resume := regexp.MustCompile(`fetch: crawl (crawl-[0-9a-f]+) is not finished: (\d+) URLs are left in bolt:\S+; run the same command again to resume it \(--crawl-id (crawl-[0-9a-f]+) names it\)\n`)
		m := resume.FindStringSubmatch(errOut.String())
		if cmd.ProcessState.ExitCode() != 130 || m == nil || m[1] != m[3] || m[2] == "0" {
			t.Fatalf("interrupted: exit %d, stderr %q; want 130 and how to resume", cmd.ProcessState.ExitCode(), errOut.String())
		}
		// The same command resumes it (-m, which the crawl's id does not
		// depend on, times the slow page out), then says it is complete.
		again := append(append([]string{}, args...), "-m", "1s")
		r := fetch(t, "", again...)
		if strings.Contains(r.stderr, "is complete") || !strings.Contains(r.stdout, "crawl: ") {
			t.Errorf("resumed: exit %d, stdout %q, stderr %q; want the rest crawled", r.code, r.stdout, r.stderr)
		}
		r = fetch(t, "", again...)
		if m := complete.FindStringSubmatch(r.stderr); r.code != 0 || m == nil || m[1] != "crawl" || r.stdout != "" {
			t.Errorf("again: exit %d, stdout %q, stderr %q; want 0, nothing run, the crawl said complete", r.code, r.stdout, r.stderr)
		}
	})
}
