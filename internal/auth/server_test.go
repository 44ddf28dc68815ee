package auth

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

// get fetches url as the fetcher will: the request goes out with the
// Authorization d has (none before a challenge), and is sent again while
// d.Challenge says to, at most MaxRetries times. It returns the final
// status and the number of requests sent.
func get(t *testing.T, c *http.Client, url string, d *Digest) (status, requests int) {
	t.Helper()
	for tries := 0; ; tries++ {
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			t.Fatal(err)
		}
		h, ok, err := d.Authorization(req.Method, req.URL.RequestURI())
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			req.Header.Set("Authorization", h)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		requests++
		if resp.StatusCode != http.StatusUnauthorized || tries == MaxRetries {
			return resp.StatusCode, requests
		}
		retry, err := d.Challenge(resp.Header.Values("WWW-Authenticate"))
		if err != nil {
			t.Logf("%s: %v", url, err)
		}
		if !retry {
			return resp.StatusCode, requests
		}
	}
}

// TestApacheDigest answers real Apache httpd (mod_auth_digest: MD5 with
// qop=auth, all that Apache 2.4 implements): the right password gets
// 200, a wrong one 401, and a second request reuses the nonce with the
// next nc.
func TestApacheDigest(t *testing.T) {
	a := testserver.StartApache(t, testserver.ApacheOptions{
		Users: map[string]string{"alice": "s3cret: with \"quotes\"", "bob": "hunter2"},
		Realm: "greenfetch test",
	})
	c := &http.Client{}
	defer c.CloseIdleConnections()
	url := a.URL + testserver.DigestPrefix + "index.html?q=1&r=%2F"
	tests := []struct {
		name, user, pass string
		wantStatus       int
		wantRequests     int
	}{
		{"right", "alice", "s3cret: with \"quotes\"", 200, 2},
		{"other user", "bob", "hunter2", 200, 2},
		{"wrong password", "alice", "s3cret", 401, 2},
		{"unknown user", "carol", "hunter2", 401, 2},
	}
	for _, tt := range tests {
		d := &Digest{Username: tt.user, Password: tt.pass}
		status, n := get(t, c, url, d)
		if status != tt.wantStatus || n != tt.wantRequests {
			t.Errorf("%s: got %d after %d requests; want %d after %d", tt.name, status, n, tt.wantStatus, tt.wantRequests)
		}
		if tt.wantStatus != 200 {
			continue
		}
		// The nonce again, counted on.
		if status, n := get(t, c, url, d); status != 200 || n != 1 {
			t.Errorf("%s, second request: got %d after %d requests; want 200 after 1", tt.name, status, n)
		}
	}
}

// TestApacheBasic sends Basic credentials to real Apache (mod_auth_basic).
func TestApacheBasic(t *testing.T) {
	a := testserver.StartApache(t, testserver.ApacheOptions{Users: map[string]string{"alice": "pa:ss"}})
	c := &http.Client{}
	defer c.CloseIdleConnections()
	for _, tt := range []struct {
		user, pass string
		want       int
	}{{"alice", "pa:ss", 200}, {"alice", "pa", 401}, {"alice", "", 401}} {
		req, _ := http.NewRequest("GET", a.URL+testserver.BasicPrefix, nil)
		u, p, _ := SplitUser(tt.user + ":" + tt.pass)
		req.Header.Set("Authorization", Basic(u, p))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("Basic %s:%s: got %d; want %d", tt.user, tt.pass, resp.StatusCode, tt.want)
		}
	}
}

// staleForever is a Digest server that lies: it answers every request,
// with credentials or not, with a fresh nonce and stale=true. It counts
// the requests it got.
func staleForever(t *testing.T) (url string, requests *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	requests = new(atomic.Int64)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Digest realm="liar", nonce="n%d", qop="auth", algorithm=SHA-256, stale=true`, n))
		w.WriteHeader(http.StatusUnauthorized)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String() + "/", requests
}

// TestStaleForever checks that a server saying stale=true forever gets
// at most MaxRetries resends, and its 401 is the answer.
func TestStaleForever(t *testing.T) {
	url, requests := staleForever(t)
	c := &http.Client{}
	defer c.CloseIdleConnections()
	d := &Digest{Username: "u", Password: "p"}
	status, n := get(t, c, url, d)
	if status != 401 || n != MaxRetries+1 || requests.Load() != int64(MaxRetries+1) {
		t.Fatalf("got %d after %d requests (the server saw %d); want 401 after %d", status, n, requests.Load(), MaxRetries+1)
	}
}

// TestDigestConcurrent makes Authorization values from many goroutines at
// once: each gets its own nc, none twice.
func TestDigestConcurrent(t *testing.T) {
	d := &Digest{Username: "u", Password: "p"}
	if _, err := d.Challenge([]string{`Digest realm="r", nonce="N", qop="auth"`}); err != nil {
		t.Fatal(err)
	}
	const goroutines, each = 8, 50
	var mu sync.Mutex
	seen := map[int64]bool{}
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				h, _, err := d.Authorization("GET", "/")
				if err != nil {
					t.Error(err)
					return
				}
				cs, _ := ParseChallenges(h)
				nc, err := strconv.ParseInt(cs[0].Params["nc"], 16, 64)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[nc] {
					t.Errorf("nc %08x given twice", nc)
				}
				seen[nc] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != goroutines*each {
		t.Fatalf("got %d distinct nc values; want %d", len(seen), goroutines*each)
	}
}
