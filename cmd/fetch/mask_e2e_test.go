package main

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

// TestE2ECredentialsMasked runs the binary with a password in a URL, in a
// proxy URL (-x) and in a redis:// store URL (--frontier), in text, JSON
// and -v: no password (nor its Basic encoding) is ever written, to stdout
// or stderr, and where a credential is shown it is shown as ***.
func TestE2ECredentialsMasked(t *testing.T) {
	srv := startServe(t)
	host := strings.TrimPrefix(srv.URL(), "http://")
	px := testserver.StartTinyproxy(t, testserver.ProxyOptions{User: "carol", Password: "proxy-pw-2"})
	rd := testserver.StartRedis(t, testserver.RedisOptions{Password: "store-pw-3"})
	dead := deadAddr(t)

	secrets := []string{"url-pw-1", "proxy-pw-2", "store-pw-3", "wrong-pw-4"}
	for _, s := range []string{"alice:url-pw-1", "carol:proxy-pw-2"} {
		secrets = append(secrets, base64.StdEncoding.EncodeToString([]byte(s)))
	}
	urlOK := "http://alice:url-pw-1@" + host + "/size/9"
	urlDead := "http://alice:url-pw-1@" + dead + "/x"
	store := "redis://:store-pw-3@" + rd.Addr + "/0"

	tests := []struct {
		name string
		args []string
		// want are substrings of stdout+stderr: where a credential shows,
		// masked; each is checked in every format.
		want []string
		// verbose are substrings of stderr with -v.
		verbose []string
	}{
		{"URL", []string{urlOK, urlDead}, []string{"alice:***@" + host, "alice:***@" + dead}, []string{"Authorization: Basic ***"}},
		{"URL, redirect", []string{"http://alice:url-pw-1@" + host + "/redirect/1/size/3"}, []string{"alice:***@" + host}, []string{"Authorization: Basic ***"}},
		{"proxy", []string{"-x", "http://carol:proxy-pw-2@" + px.Addr, srv.URL() + "/size/9"}, nil, []string{"Proxy-Authorization: Basic ***"}},
		{"dead proxy", []string{"-x", "http://carol:proxy-pw-2@" + dead, srv.URL() + "/size/9"}, []string{"proxy http://" + dead}, nil},
		{"bad proxy", []string{"-x", "http://carol:proxy-pw-2@" + dead + "0000", srv.URL() + "/size/9"}, []string{"--proxy"}, nil},
		{"store list", []string{"--frontier", store, "--crawl-id", "{id}", urlOK}, []string{"(frontier redis://:***@" + rd.Addr + "/0)", "alice:***@" + host}, []string{"Authorization: Basic ***"}},
		{"store crawl", []string{"--crawl", "--robots", "off", "--frontier", store, "--crawl-id", "{id}", urlOK}, []string{"(frontier redis://:***@" + rd.Addr + "/0)", "alice:***@" + host}, []string{"Authorization: Basic ***"}},
		{"store wrong password", []string{"--frontier", "redis://:wrong-pw-4@" + rd.Addr + "/0", urlOK}, []string{"WRONGPASS"}, nil},
		{"store bad URL", []string{"--frontier", "redis://:store-pw-3@" + rd.Addr + "/db9", urlOK}, []string{"redis://:***@" + rd.Addr + "/db9"}, nil},
		{"store bad scheme", []string{"--frontier", "mongo://u:store-pw-3@" + rd.Addr, urlOK}, []string{"mongo://u:***@" + rd.Addr}, nil},
		{"results", []string{"results", "--frontier", store, "--crawl-id", "store-crawl-0"}, []string{"alice:***@" + host}, nil},
	}
	for _, tt := range tests {
		for i, format := range [][]string{nil, {"--json"}, {"-v"}, {"--json", "-v"}} {
			// Each run of a store gets a crawl of its own, which it fetches.
			id := strings.ReplaceAll(tt.name, " ", "-") + "-" + strconv.Itoa(i)
			args := append([]string{}, format...)
			for _, a := range tt.args {
				args = append(args, strings.ReplaceAll(a, "{id}", id))
			}
			if tt.args[0] == "results" {
				if len(format) > 0 {
					continue // fetch results prints stored NDJSON, and has no -v
				}
				args = tt.args
			}
			t.Run(strings.Join(append([]string{tt.name}, format...), " "), func(t *testing.T) {
				r := fetch(t, "", args...)
				all := r.stdout + r.stderr
				for _, s := range secrets {
					if strings.Contains(all, s) {
						t.Errorf("%q shows in the output of fetch %v:\nstdout:\n%s\nstderr:\n%s", s, args, r.stdout, r.stderr)
					}
				}
				for _, w := range tt.want {
					if !strings.Contains(all, w) {
						t.Errorf("fetch %v: want %q in its output:\nstdout:\n%s\nstderr:\n%s", args, w, r.stdout, r.stderr)
					}
				}
				if len(format) > 0 && format[len(format)-1] == "-v" {
					for _, w := range tt.verbose {
						if !strings.Contains(r.stderr, w) {
							t.Errorf("fetch %v: want %q on stderr:\n%s", args, w, r.stderr)
						}
					}
				}
			})
		}
	}
}
