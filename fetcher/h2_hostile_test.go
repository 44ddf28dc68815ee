package fetcher

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/greenfetch/greenfetch/scheduler"
)

// h2Peer is the server side of an in-process HTTP/2 peer (h2c), built on
// the Framer: a hostile test scripts it frame by frame.
type h2Peer struct {
	c    net.Conn
	fr   *http2.Framer
	enc  *hpack.Encoder
	ebuf bytes.Buffer
	dec  *hpack.Decoder
	path string // of the last request read
}

// newH2Peer reads the client preface off c and, if settings is not nil,
// sends SETTINGS with them.
func newH2Peer(c net.Conn, settings []http2.Setting) (*h2Peer, error) {
	p := &h2Peer{c: c, fr: http2.NewFramer(c, c)}
	p.enc = hpack.NewEncoder(&p.ebuf)
	p.dec = hpack.NewDecoder(4096, func(f hpack.HeaderField) {
		if f.Name == ":path" {
			p.path = f.Value
		}
	})
	c.SetDeadline(time.Now().Add(20 * time.Second))
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(c, preface); err != nil {
		return nil, err
	}
	if string(preface) != http2.ClientPreface {
		return nil, fmt.Errorf("bad preface %q", preface)
	}
	if settings != nil {
		if err := p.fr.WriteSettings(settings...); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// request reads frames up to the next request's HEADERS (acknowledging
// SETTINGS on the way) and returns its stream and path.
func (p *h2Peer) request() (uint32, string, error) {
	for {
		f, err := p.fr.ReadFrame()
		if err != nil {
			return 0, "", err
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				p.fr.WriteSettingsAck()
			}
		case *http2.HeadersFrame:
			p.path = ""
			if _, err := p.dec.Write(f.HeaderBlockFragment()); err != nil {
				return 0, "", err
			}
			return f.StreamID, p.path, nil
		}
	}
}

// block encodes a response head.
func (p *h2Peer) block(status int, fields ...string) []byte {
	p.ebuf.Reset()
	p.enc.WriteField(hpack.HeaderField{Name: ":status", Value: fmt.Sprint(status)})
	for i := 0; i+1 < len(fields); i += 2 {
		p.enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	return bytes.Clone(p.ebuf.Bytes())
}

// respond answers stream id with status and body.
func (p *h2Peer) respond(id uint32, status int, body []byte) error {
	err := p.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: p.block(status, "content-length", fmt.Sprint(len(body))), EndHeaders: true, EndStream: len(body) == 0})
	for len(body) > 0 && err == nil {
		n := min(len(body), 16384)
		err = p.fr.WriteData(id, n == len(body), body[:n])
		body = body[n:]
	}
	return err
}

// serveH2 runs an h2c server whose every connection runs script.
func serveH2(t *testing.T, script func(c net.Conn, done <-chan struct{})) string {
	return startHostile(t, script).URL()
}

// goodH2 answers every request with 200 and "ok\n" until the connection
// ends.
func goodH2(c net.Conn, done <-chan struct{}) {
	p, err := newH2Peer(c, []http2.Setting{})
	if err != nil {
		return
	}
	for {
		id, _, err := p.request()
		if err != nil || p.respond(id, 200, []byte("ok\n")) != nil {
			return
		}
	}
}

// TestH2Hostile runs each hostile HTTP/2 peer in a list beside a good one
// (and, for stream-level misbehaviour, beside good streams of the same
// connection): the hostile URLs end as the right kind within their
// timeout, saying why; the others succeed.
func TestH2Hostile(t *testing.T) {
	good := serveH2(t, goodH2)
	huge := bytes.Repeat([]byte("x"), 300<<10)
	for _, tc := range []struct {
		name   string
		script func(c net.Conn, done <-chan struct{})
		kind   ErrorKind
		msg    string
		// goodPaths are fetched from the hostile server too and must
		// succeed: its misbehaviour is per stream.
		goodPaths bool
	}{
		{"never-sends-settings", func(c net.Conn, done <-chan struct{}) {
			newH2Peer(c, nil)
			io.Copy(io.Discard, c)
		}, KindTimeout, "no complete response", false},
		{"continuation-flood", func(c net.Conn, done <-chan struct{}) {
			p, err := newH2Peer(c, []http2.Setting{})
			if err != nil {
				return
			}
			id, _, err := p.request()
			if err != nil {
				return
			}
			blk := p.block(200, "x-big", strings.Repeat("a", 100000))
			p.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: blk[:1]})
			for i := 1; i < len(blk) && err == nil; i++ {
				err = p.fr.WriteContinuation(id, false, blk[i:i+1])
			}
		}, KindProtocol, "CONTINUATION flood", false},
		{"huge-header-block", func(c net.Conn, done <-chan struct{}) {
			p, err := newH2Peer(c, []http2.Setting{})
			if err != nil {
				return
			}
			id, _, err := p.request()
			if err != nil {
				return
			}
			p.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: p.block(200)})
			frag := bytes.Repeat([]byte{0}, 16384) // not even HPACK: never looked at
			for i := 0; i < 1000 && err == nil; i++ {
				err = p.fr.WriteContinuation(id, false, frag)
			}
		}, KindProtocol, "header block", false},
		{"huge-header-list", func(c net.Conn, done <-chan struct{}) {
			p, err := newH2Peer(c, []http2.Setting{})
			if err != nil {
				return
			}
			for {
				id, path, err := p.request()
				if err != nil {
					return
				}
				if !strings.HasSuffix(path, "/bad") {
					p.respond(id, 200, []byte("ok\n"))
					continue
				}
				var fields []string
				for i := range 40 {
					fields = append(fields, fmt.Sprintf("x-h%d", i), strings.Repeat("v", 8000))
				}
				blk := p.block(200, fields...)
				p.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: blk[:16384]})
				for blk = blk[16384:]; len(blk) > 0; {
					n := min(len(blk), 16384)
					p.fr.WriteContinuation(id, n == len(blk), blk[:n])
					blk = blk[n:]
				}
			}
		}, KindProtocol, "response head larger", true},
		{"ping-flood", func(c net.Conn, done <-chan struct{}) {
			p, err := newH2Peer(c, []http2.Setting{})
			if err != nil {
				return
			}
			go io.Copy(io.Discard, c)
			for i := 0; i < 200000 && err == nil; i++ {
				err = p.fr.WritePing(false, [8]byte{byte(i)})
			}
		}, KindProtocol, "control frames", false},
		{"settings-flood", func(c net.Conn, done <-chan struct{}) {
			p, err := newH2Peer(c, []http2.Setting{})
			if err != nil {
				return
			}
			go io.Copy(io.Discard, c)
			for i := 0; i < 200000 && err == nil; i++ {
				err = p.fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 100})
			}
		}, KindProtocol, "control frames", false},
		{"data-beyond-window", func(c net.Conn, done <-chan struct{}) {
			p, err := newH2Peer(c, []http2.Setting{})
			if err != nil {
				return
			}
			h2HoldWindows.Store(true)
			defer h2HoldWindows.Store(false)
			for {
				id, path, err := p.request()
				if err != nil {
					return
				}
				if !strings.HasSuffix(path, "/bad") {
					p.respond(id, 200, []byte("ok\n"))
					continue
				}
				p.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: p.block(200), EndHeaders: true})
				for b := huge; len(b) > 0; b = b[min(len(b), 16384):] {
					p.fr.WriteData(id, false, b[:min(len(b), 16384)])
				}
			}
		}, KindProtocol, "FLOW_CONTROL_ERROR", true},
		{"resets-every-stream", func(c net.Conn, done <-chan struct{}) {
			p, err := newH2Peer(c, []http2.Setting{})
			if err != nil {
				return
			}
			for {
				id, _, err := p.request()
				if err != nil || p.fr.WriteRSTStream(id, http2.ErrCodeInternal) != nil {
					return
				}
			}
		}, KindProtocol, "INTERNAL_ERROR", false},
		{"refuses-every-stream", func(c net.Conn, done <-chan struct{}) {
			p, err := newH2Peer(c, []http2.Setting{})
			if err != nil {
				return
			}
			for {
				id, _, err := p.request()
				if err != nil || p.fr.WriteRSTStream(id, http2.ErrCodeRefusedStream) != nil {
					return
				}
			}
		}, KindProtocol, "REFUSED_STREAM", false},
		{"answers-unopened-stream", func(c net.Conn, done <-chan struct{}) {
			p, err := newH2Peer(c, []http2.Setting{})
			if err != nil {
				return
			}
			if _, _, err := p.request(); err != nil {
				return
			}
			p.respond(1001, 200, []byte("surprise"))
			io.Copy(io.Discard, c)
		}, KindProtocol, "never opened", false},
		{"push-promise", func(c net.Conn, done <-chan struct{}) {
			p, err := newH2Peer(c, []http2.Setting{})
			if err != nil {
				return
			}
			id, _, err := p.request()
			if err != nil {
				return
			}
			p.fr.WritePushPromise(http2.PushPromiseParam{StreamID: id, PromiseID: 2, BlockFragment: p.block(200), EndHeaders: true})
			io.Copy(io.Discard, c)
		}, KindProtocol, "PUSH_PROMISE", false},
		{"stalls-body", func(c net.Conn, done <-chan struct{}) {
			p, err := newH2Peer(c, []http2.Setting{{ID: http2.SettingInitialWindowSize, Val: 0}})
			if err != nil {
				return
			}
			for {
				id, path, err := p.request()
				if err != nil {
					return
				}
				if !strings.HasSuffix(path, "/bad") {
					p.respond(id, 200, []byte("ok\n"))
					continue
				}
				p.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: p.block(200, "content-length", "1000"), EndHeaders: true})
				p.fr.WriteData(id, false, make([]byte, 10))
			}
		}, KindTimeout, "no complete response", true},
		{"closes-mid-body", func(c net.Conn, done <-chan struct{}) {
			p, err := newH2Peer(c, []http2.Setting{})
			if err != nil {
				return
			}
			id, _, err := p.request()
			if err != nil {
				return
			}
			p.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: p.block(200, "content-length", "1000"), EndHeaders: true})
			p.fr.WriteData(id, false, make([]byte, 10))
			c.(*net.TCPConn).CloseWrite()
			io.Copy(io.Discard, c)
		}, KindIO, "", false},
		{"short-body", func(c net.Conn, done <-chan struct{}) {
			p, err := newH2Peer(c, []http2.Setting{})
			if err != nil {
				return
			}
			for {
				id, path, err := p.request()
				if err != nil {
					return
				}
				if !strings.HasSuffix(path, "/bad") {
					p.respond(id, 200, []byte("ok\n"))
					continue
				}
				p.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: p.block(200, "content-length", "1000"), EndHeaders: true})
				p.fr.WriteData(id, true, make([]byte, 10))
			}
		}, KindProtocol, "Content-Length", true},
	} {
		for _, mode := range Modes {
			t.Run(tc.name+"/"+mode.String(), func(t *testing.T) {
				bad := serveH2(t, tc.script)
				urls := []string{bad + "/bad", good + "/a", good + "/b", good + "/c"}
				if tc.goodPaths {
					urls = append(urls, bad+"/ok1", bad+"/ok2", bad+"/ok3")
				}
				const timeout = 1500 * time.Millisecond
				cfg := RunConfig{Config: Config{Timeout: timeout, HTTPVersion: HTTPVersion2PriorKnowledge}, Concurrency: 8, Hubs: 1}
				t0 := time.Now()
				res, _ := runList(t, context.Background(), mode, cfg, urls)
				if el := time.Since(t0); el > timeout+5*time.Second {
					t.Errorf("the run took %v; want it bounded by the timeout of %v", el, timeout)
				}
				for _, r := range res {
					if r.URL != bad+"/bad" {
						if !r.OK() || r.Proto != "HTTP/2.0" {
							t.Errorf("%s: got status %d, proto %q, error %s; want 200 over HTTP/2.0", r.URL, r.Status, r.Proto, errString(r))
						}
						continue
					}
					if r.ErrorKind != tc.kind || !strings.Contains(errString(r), tc.msg) || !strings.Contains(errString(r), r.URL) {
						t.Errorf("got kind %v, error %s; want kind %v, an error naming the URL and saying %q", r.ErrorKind, errString(r), tc.kind, tc.msg)
					}
				}
			})
		}
	}
}

// TestH2GoAwayInFlight has a server take 4 requests on a connection, then
// GOAWAY with the first as the last it processes: the first finishes, the
// three others go again on a new connection, and all succeed.
func TestH2GoAwayInFlight(t *testing.T) {
	var conns atomic.Int32
	url := serveH2(t, func(c net.Conn, done <-chan struct{}) {
		n := conns.Add(1)
		p, err := newH2Peer(c, []http2.Setting{})
		if err != nil {
			return
		}
		if n > 1 {
			for {
				id, _, err := p.request()
				if err != nil || p.respond(id, 200, []byte("ok\n")) != nil {
					return
				}
			}
		}
		var ids []uint32
		for len(ids) < 4 {
			id, _, err := p.request()
			if err != nil {
				return
			}
			ids = append(ids, id)
		}
		p.fr.WriteGoAway(ids[0], http2.ErrCodeNo, nil)
		p.respond(ids[0], 200, []byte("first\n"))
		time.Sleep(100 * time.Millisecond)
	})
	for _, mode := range []Mode{ModeThreads, ModeAsync} {
		t.Run(mode.String(), func(t *testing.T) {
			conns.Store(0)
			var urls []string
			for i := range 4 {
				urls = append(urls, fmt.Sprintf("%s/%d", url, i))
			}
			cfg := RunConfig{Config: Config{Timeout: 5 * time.Second, HTTPVersion: HTTPVersion2PriorKnowledge}, Concurrency: 4, Hubs: 1}
			res, stats := runList(t, context.Background(), mode, cfg, urls)
			for _, r := range res {
				if !r.OK() {
					t.Errorf("%s: got status %d, error %s; want 200", r.URL, r.Status, errString(r))
				}
			}
			if stats.HTTP2Conns != 2 {
				t.Errorf("got %d connections; want 2 (the second for the streams GOAWAY cut)", stats.HTTP2Conns)
			}
		})
	}
}

// TestH2Cancel cancels a run while its streams wait on a silent server:
// every fetch ends as canceled, soon, and the connection's tasks end.
func TestH2Cancel(t *testing.T) {
	url := serveH2(t, func(c net.Conn, done <-chan struct{}) {
		if _, err := newH2Peer(c, []http2.Setting{}); err != nil {
			return
		}
		io.Copy(io.Discard, c)
	})
	for _, mode := range Modes {
		t.Run(mode.String(), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(300*time.Millisecond, cancel)
			cfg := RunConfig{Config: Config{Timeout: 20 * time.Second, HTTPVersion: HTTPVersion2PriorKnowledge}, Concurrency: 4, Hubs: 1}
			t0 := time.Now()
			res, _ := runList(t, ctx, mode, cfg, []string{url + "/1", url + "/2", url + "/3"})
			if el := time.Since(t0); el > 10*time.Second {
				t.Errorf("the run took %v after a cancel at 300ms", el)
			}
			for _, r := range res {
				if r.ErrorKind != KindCanceled {
					t.Errorf("%s: got kind %v, error %s; want canceled", r.URL, r.ErrorKind, errString(r))
				}
			}
		})
	}
}

// TestH2PhaseTimeouts checks HeaderTimeout and IdleReadTimeout on HTTP/2
// streams: a stream whose head never comes, or whose body stops, ends as
// timeout saying which bound ran out, while the other streams of the
// connection succeed.
func TestH2PhaseTimeouts(t *testing.T) {
	url := serveH2(t, func(c net.Conn, done <-chan struct{}) {
		p, err := newH2Peer(c, []http2.Setting{})
		if err != nil {
			return
		}
		for {
			id, path, err := p.request()
			if err != nil {
				return
			}
			switch {
			case strings.HasSuffix(path, "/silent"):
			case strings.HasSuffix(path, "/stops"):
				p.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: p.block(200), EndHeaders: true})
				p.fr.WriteData(id, false, []byte("partial"))
			default:
				p.respond(id, 200, []byte("ok\n"))
			}
		}
	})
	for _, mode := range Modes {
		t.Run(mode.String(), func(t *testing.T) {
			cfg := RunConfig{Config: Config{Timeout: 10 * time.Second, HeaderTimeout: 300 * time.Millisecond, IdleReadTimeout: 300 * time.Millisecond, HTTPVersion: HTTPVersion2PriorKnowledge}, Concurrency: 4, Hubs: 1}
			t0 := time.Now()
			res, _ := runList(t, context.Background(), mode, cfg, []string{url + "/silent", url + "/stops", url + "/a", url + "/b"})
			if el := time.Since(t0); el > 5*time.Second {
				t.Errorf("the run took %v; want the 300ms bounds to end it", el)
			}
			want := map[string]string{url + "/silent": "no response head within 300ms", url + "/stops": "no body bytes for 300ms"}
			for _, r := range res {
				if msg, ok := want[r.URL]; ok {
					if r.ErrorKind != KindTimeout || !strings.Contains(errString(r), msg) {
						t.Errorf("%s: got kind %v, error %s; want timeout saying %q", r.URL, r.ErrorKind, errString(r), msg)
					}
				} else if !r.OK() {
					t.Errorf("%s: got status %d, error %s; want 200", r.URL, r.Status, errString(r))
				}
			}
		})
	}
}

// TestH2NoLeak checks that the connection goroutines of the threads
// engine end with the run.
func TestH2NoLeak(t *testing.T) {
	url := serveH2(t, goodH2)
	before := runtime.NumGoroutine()
	cfg := RunConfig{Config: Config{Timeout: 5 * time.Second, HTTPVersion: HTTPVersion2PriorKnowledge}, Concurrency: 4}
	for range 3 {
		runList(t, context.Background(), ModeThreads, cfg, []string{url + "/a", url + "/b", url + "/c"})
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		t.Errorf("%d goroutines after the runs, %d before; want the connections' readers and writers gone", n, before)
	}
}

// TestH2RequestBody sends a request body over HTTP/2 within the server's
// flow-control windows: a server that opens them bit by bit gets the
// whole body; one that keeps its window at zero ends the fetch as a
// timeout, on time.
func TestH2RequestBody(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 10000) // 100 kB: more than the default window
	serve := func(open bool) func(c net.Conn, done <-chan struct{}) {
		return func(c net.Conn, done <-chan struct{}) {
			settings := []http2.Setting{{ID: http2.SettingInitialWindowSize, Val: 0}}
			if open {
				settings[0].Val = 1000
			}
			p, err := newH2Peer(c, settings)
			if err != nil {
				return
			}
			id, _, err := p.request()
			if err != nil {
				return
			}
			var got []byte
			for {
				f, err := p.fr.ReadFrame()
				if err != nil {
					return
				}
				d, ok := f.(*http2.DataFrame)
				if !ok || d.StreamID != id {
					continue
				}
				got = append(got, d.Data()...)
				if open && len(d.Data()) > 0 {
					// Credit what arrived, a little at a time.
					p.fr.WriteWindowUpdate(0, uint32(len(d.Data())))
					p.fr.WriteWindowUpdate(id, uint32(len(d.Data())))
				}
				if d.StreamEnded() {
					break
				}
			}
			p.respond(id, 200, []byte(fmt.Sprint(len(got), bytes.Equal(got, body))))
			io.Copy(io.Discard, c)
		}
	}
	for _, tc := range []struct {
		name string
		open bool
	}{{"window-opened", true}, {"window-shut", false}} {
		url := serveH2(t, serve(tc.open))
		for _, inTask := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/task=%v", tc.name, inTask), func(t *testing.T) {
				c, err := newClient(RunConfig{Config: Config{Timeout: 1500 * time.Millisecond, HTTPVersion: HTTPVersion2PriorKnowledge, Data: string(body)}, SHA256: true})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				var r Result
				t0 := time.Now()
				if inTask {
					h, err := scheduler.NewHub()
					if err != nil {
						t.Fatal(err)
					}
					defer h.Close()
					h.Run(func(*scheduler.Task) (any, error) { r = c.Fetch(context.Background(), url+"/post"); return nil, nil })
				} else {
					r = c.Fetch(context.Background(), url+"/post")
				}
				if el := time.Since(t0); el > 6*time.Second {
					t.Errorf("the fetch took %v; want the 1.5s timeout to bound it", el)
				}
				if !tc.open {
					if r.ErrorKind != KindTimeout {
						t.Errorf("got kind %v, error %s; want timeout", r.ErrorKind, errString(r))
					}
					return
				}
				want := sha256Hex([]byte(fmt.Sprint(len(body), true)))
				if !r.OK() || r.SHA256 != want {
					t.Errorf("got status %d, sha %s, error %s; want the server to echo %d bytes received intact", r.Status, r.SHA256, errString(r), len(body))
				}
			})
		}
	}
}
