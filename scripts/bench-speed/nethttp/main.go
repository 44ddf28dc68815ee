// Command nethttp is the baseline of scripts/bench-speed.sh: Go's own
// net/http client fetching a URL list the way a Go programmer would write
// it — a goroutine per URL gated by a semaphore of -c slots, one shared
// Transport with MaxIdleConnsPerHost = -c — reading and discarding every
// body and printing one text line per URL as `fetch` does, so that the
// two commands do the same work per URL.
//
// Usage:
//
//	nethttp [-c N] [-cacert FILE] [-q] < urls
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

func main() {
	conc := flag.Int("c", 64, "fetch at most `N` URLs at once")
	cacert := flag.String("cacert", "", "verify TLS peers with the PEM certificates in `FILE`")
	quiet := flag.Bool("q", false, "print only failed results and the summary")
	flag.Parse()

	tr := &http.Transport{
		MaxIdleConns:        *conc,
		MaxIdleConnsPerHost: *conc,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	if *cacert != "" {
		pem, err := os.ReadFile(*cacert)
		if err != nil {
			fmt.Fprintln(os.Stderr, "nethttp:", err)
			os.Exit(2)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	client := &http.Client{Transport: tr} // no Client.Timeout: the baseline has none

	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	var mu sync.Mutex // guards out, ok, failed
	var ok, failed int
	sem := make(chan struct{}, *conc)
	var wg sync.WaitGroup
	start := time.Now()
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64<<10), 64<<10)
	for in.Scan() {
		u := in.Text()
		if u == "" || u[0] == '#' {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			t0 := time.Now()
			var n int64
			resp, err := client.Get(u)
			if err == nil {
				n, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			ms := time.Since(t0).Milliseconds()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				failed++
				fmt.Fprintf(out, "error: %s: %v\n", u, err)
			case resp.StatusCode >= 400:
				failed++
				fmt.Fprintf(out, "%d bytes received from %s (%d, %d ms)\n", n, u, resp.StatusCode, ms)
			default:
				ok++
				if !*quiet {
					b := out.AvailableBuffer()
					b = strconv.AppendInt(b, n, 10)
					b = append(b, " bytes received from "...)
					b = append(b, u...)
					b = append(b, " ("...)
					b = strconv.AppendInt(b, int64(resp.StatusCode), 10)
					b = append(b, ", "...)
					b = strconv.AppendInt(b, ms, 10)
					b = append(b, " ms)\n"...)
					out.Write(b)
				}
			}
		}()
	}
	wg.Wait()
	fmt.Fprintf(out, "nethttp cost %.3fs\nsummary: %d URLs, %d ok, %d failed\n",
		time.Since(start).Seconds(), ok+failed, ok, failed)
	out.Flush()
	if failed > 0 {
		os.Exit(1)
	}
}
