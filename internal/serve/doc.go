// Package serve is greenfetch's embedded test server: the server behind
// `fetch serve` and `fetch demo`, the fetcher's benchmarks and many tests.
// Each request sets its response through its path, such as
//
//	/delay/500ms/size/16KiB/status/404/gzip
//
// The options, their order free and each optional, are those of Usage
// (which `fetch serve --help` prints):
//
//   - delay/D waits D before the response head; D is a Go duration (250ms,
//     1.5s) or plain milliseconds (250). The wait ends early when the client
//     goes away; a parked request costs what net/http keeps for its
//     connection, about 20 KiB. The wait as the server measured it comes back as
//     "Server-Timing: delay;dur=<ms>".
//   - size/N sends N body bytes (DefaultSize without it): 512, 16KiB, 10MB,
//     1GiB (see ParseSize), up to Options.MaxSize. Byte i of every body is
//     Pattern[i%len(Pattern)], so tests can check every byte (Body).
//   - status/N sets the final status, 200 to 599; 204 and 304 carry no body.
//   - type/T sets the Content-Type, path-escaped (type/text%2Fhtml).
//   - chunked sends the body chunked, with no Content-Length; eof sends it
//     with neither and closes the connection after it.
//   - gzip compresses the body when the request's Accept-Encoding allows
//     gzip, about 120:1 (1 GiB becomes 8.3 MB), with a Content-Length
//     unless chunked, eof or drip is given too. The encoding is computed,
//     not run through a compressor, so it costs next to nothing.
//   - drip/D sends the body in pieces spread over D after the head, the
//     first D/pieces after the head; pieces/N sets their number (default
//     100), at most one a byte: size/10/drip/10s sends a byte a second.
//   - close asks for the connection to be closed after the response.
//   - redirect/N answers 302 to the same path with redirect/N-1, until
//     redirect/0, which answers as if there were no redirect;
//     redirect-to/U answers one 302 to U (path-escaped, any URL);
//     redirect-code/C makes those redirects 301, 302, 303, 307 or 308.
//   - header/H adds the response header H, "Name: value", path-escaped.
//
// A wrong path answers 400 with the reason. "/" answers an HTML page that
// links to examples, "/robots.txt" robots rules and "/healthz" "ok".
// Bodies stream from one shared buffer, so a request costs the same small
// amount whatever its size.
//
// Start runs a Server on an address; New and Serve run it on a listener of
// your own; Handler gives the bare handler. URLFor and Spec build URLs.
// The server is Go's net/http on plain goroutines, HTTP/1.1 only, with
// keep-alive on; Requests, Conns and Active count what it did, for tests.
package serve

// Usage describes the paths the server answers; `fetch serve --help`
// embeds it.
const Usage = `Each response is set by the path of its request: options are path segments,
in any order, each at most once (header may repeat), for example
  /delay/500ms/size/16KiB/status/404/gzip

  delay/D          wait D before answering: a Go duration (250ms, 1.5s) or
                   plain milliseconds (250); with redirects, every hop waits
  size/N           send N body bytes (1024 if absent): 512, 16KiB, 10MB, 1GiB;
                   KB MB GB TB are powers of 1000, KiB MiB GiB TiB of 1024
  status/N         status code, 200 to 599 (default 200); 204 and 304 have
                   no body
  type/T           Content-Type, path-escaped: type/text%2Fhtml
                   (default text/plain; charset=utf-8)
  chunked          chunked transfer encoding, no Content-Length
  eof              no Content-Length and no chunking: the body ends when the
                   server closes the connection
  gzip             gzip the body if the request's Accept-Encoding allows it
                   (about 120:1; with drip, chunked)
  drip/D           send the body in pieces spread over D, the first one D/pieces
                   after the head
  pieces/N         number of drip pieces, 1 to 100000 (default 100), at most
                   one a byte
  close            close the connection after the response
  redirect/N       302 to this same path with redirect/N-1; redirect/0 answers
                   as if there were no redirect; N up to 1000
  redirect-to/U    one 302 to U, path-escaped: redirect-to/%2Fsize%2F5
  redirect-code/C  status of those redirects: 301, 302, 303, 307 or 308
  header/H         add response header H, "Name: value", path-escaped:
                   header/Retry-After:2 (not Content-Length, Transfer-Encoding)

Byte i of every body is the pattern "0-9a-zA-Z\n" (63 bytes) at i mod 63.
A delayed response carries "Server-Timing: delay;dur=<ms>".
Also: / (an HTML page of examples), /robots.txt, /healthz ("ok").
A wrong path, or a size or duration over the server's caps (1GiB, 10m by
default), answers 400 with the reason.
`
