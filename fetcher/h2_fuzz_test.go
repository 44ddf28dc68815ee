package fetcher

import (
	"bytes"
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Seed builds a server's byte stream with the Framer.
func h2Seed(script func(fr *http2.Framer, block func(status string, fields ...string) []byte)) []byte {
	var out bytes.Buffer
	fr := http2.NewFramer(&out, nil)
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	block := func(status string, fields ...string) []byte {
		hb.Reset()
		enc.WriteField(hpack.HeaderField{Name: ":status", Value: status})
		for i := 0; i+1 < len(fields); i += 2 {
			enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
		}
		return bytes.Clone(hb.Bytes())
	}
	script(fr, block)
	return out.Bytes()
}

// h2Seeds are frame sequences a server may send: good answers to streams 1
// and 3, and the usual ways to go wrong.
func h2Seeds() [][]byte {
	type B = func(string, ...string) []byte
	return [][]byte{
		h2Seed(func(fr *http2.Framer, b B) {
			fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 2})
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b("200", "content-length", "3"), EndHeaders: true})
			fr.WriteData(1, true, []byte("ok\n"))
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: b("404"), EndHeaders: true, EndStream: true})
		}),
		h2Seed(func(fr *http2.Framer, b B) {
			fr.WriteSettings()
			blk := b("200", "content-type", "text/plain", "x-a", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: blk[:4]})
			fr.WriteContinuation(1, false, blk[4:10])
			fr.WriteContinuation(1, true, blk[10:])
			fr.WriteDataPadded(1, false, []byte("hello"), make([]byte, 20))
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b("200")[:0], EndHeaders: true, EndStream: true})
		}),
		h2Seed(func(fr *http2.Framer, b B) {
			fr.WriteSettings()
			fr.WritePing(false, [8]byte{1, 2, 3})
			fr.WriteWindowUpdate(0, 1000)
			fr.WriteWindowUpdate(1, 1000)
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b("100"), EndHeaders: true})
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b("200", "content-encoding", "gzip"), EndHeaders: true})
			fr.WriteData(1, true, []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0})
		}),
		h2Seed(func(fr *http2.Framer, b B) {
			fr.WriteSettings()
			fr.WriteGoAway(1, http2.ErrCodeNo, []byte("bye"))
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b("200"), EndHeaders: true, EndStream: true})
		}),
		h2Seed(func(fr *http2.Framer, b B) {
			fr.WriteSettings()
			fr.WriteRSTStream(1, http2.ErrCodeRefusedStream)
			fr.WriteRSTStream(3, http2.ErrCodeInternal)
		}),
		h2Seed(func(fr *http2.Framer, b B) {
			fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0}, http2.Setting{ID: http2.SettingHeaderTableSize, Val: 0})
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 2, BlockFragment: b("200"), EndHeaders: true})
		}),
		h2Seed(func(fr *http2.Framer, b B) {
			fr.WriteSettings()
			fr.WriteSettingsAck()
			fr.WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, BlockFragment: b("200"), EndHeaders: true})
		}),
		h2Seed(func(fr *http2.Framer, b B) {
			fr.WriteSettings()
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b("200", "content-length", "5"), EndHeaders: true})
			fr.WriteData(1, false, []byte("abc"))
			fr.WriteData(1, true, []byte("defgh"))
			fr.WriteRawFrame(0x42, 0, 0, []byte("unknown"))
		}),
	}
}

// FuzzH2Frames feeds a connection whatever a server may send after the
// preface, under two fetches: each ends (within the timeout) with a
// result or an error of the kinds a peer may cause; nothing panics or
// hangs.
func FuzzH2Frames(f *testing.F) {
	for _, s := range h2Seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := NewClient(Config{Timeout: 2 * time.Second, HTTPVersion: HTTPVersion2PriorKnowledge, MaxBody: 1 << 20, Compressed: true})
		if err != nil {
			t.Fatal(err)
		}
		var servers sync.WaitGroup
		c.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			cl, sv := net.Pipe()
			servers.Add(1)
			go func() {
				defer servers.Done()
				go io.Copy(io.Discard, sv)
				sv.Write(data)
				sv.Close()
			}()
			return cl, nil
		}
		var wg sync.WaitGroup
		for _, path := range []string{"/a", "/b"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t0 := time.Now()
				r := c.Fetch(context.Background(), "http://127.0.0.1:8080"+path)
				if el := time.Since(t0); el > 10*time.Second {
					t.Errorf("fetch took %v; want it bounded by the 2s timeout", el)
				}
				switch r.ErrorKind {
				case KindNone, KindProtocol, KindIO, KindTimeout, KindTooLarge:
				default:
					t.Errorf("got kind %v (%s); want none, protocol, io, timeout or too_large", r.ErrorKind, errString(r))
				}
				if r.ErrorKind == KindNone && r.Proto != "HTTP/2.0" {
					t.Errorf("got proto %q without error; want HTTP/2.0", r.Proto)
				}
			}()
		}
		wg.Wait()
		c.Close()
		servers.Wait()
	})
}
