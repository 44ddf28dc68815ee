package fetcher

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// bareBody answers whatever comes with body, no status line, no frame,
// and closes: a server that speaks neither HTTP/1 nor HTTP/2.
func bareBody(body string) func(c net.Conn, done <-chan struct{}) {
	return func(c net.Conn, done <-chan struct{}) {
		br := bufio.NewReader(c)
		br.Peek(1) // the client spoke first
		io.WriteString(c, body)
	}
}

// TestH2PriorKnowledgeNotHTTP2: with prior knowledge, a server whose
// answer is no HTTP/2 frame (a bare body, short or long) is a protocol
// error that says the server does not speak HTTP/2, not "connection
// closed in the middle of the response head" nor a frame size error.
func TestH2PriorKnowledgeNotHTTP2(t *testing.T) {
	for _, body := range []string{"ok\n", "hello, this is a bare body and no HTTP at all\n"} {
		srv := startHostile(t, bareBody(body))
		cfg := RunConfig{Config: Config{Timeout: 5 * time.Second, HTTPVersion: HTTPVersion2PriorKnowledge}, Hubs: 1}
		res, _ := runList(t, context.Background(), ModeAsync, cfg, []string{srv.URL() + "/"})
		if len(res) != 1 {
			t.Fatalf("got %d results; want 1", len(res))
		}
		r := res[0]
		if r.ErrorKind != KindProtocol || !strings.Contains(errString(r), "not HTTP/2: it does not speak HTTP/2 with prior knowledge") {
			t.Errorf("body %q: got kind %v, error %s; want protocol, not HTTP/2", body, r.ErrorKind, errString(r))
		}
	}
}
