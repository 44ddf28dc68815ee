package warc

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"
)

// Block is the content of one record: the bytes of an HTTP message as it
// crossed the wire. *bytes.Reader, *strings.Reader, *io.SectionReader (over
// an *os.File, say) and *Buffer are Blocks. The writer reads a Block twice
// (once to digest it, once to write it) and never keeps it.
type Block interface {
	io.ReaderAt
	Size() int64
}

// Exchange is one HTTP request and its response, to be archived as a
// request record and a response (or revisit) record.
type Exchange struct {
	// URL is the absolute URL fetched, the WARC-Target-URI of both
	// records. Required; it must not hold spaces or control characters.
	URL string

	// Date is when the request began: the WARC-Date of both records,
	// written with microsecond precision (WARC 1.1 allows sub-second
	// precision; Python's warcio and pywb parse up to six digits). If zero,
	// the writer's clock at the call is used.
	Date time.Time

	// IP is the address of the peer the bytes were exchanged with (the
	// proxy's, through a proxy): WARC-IP-Address. Omitted if invalid.
	IP netip.Addr

	// Request is the request as written to the connection (after any proxy
	// rewriting, before TLS): head and body. If nil, only the response is
	// archived.
	Request Block

	// Response is the response as read from the connection, after TLS and
	// before any decoding: status line, header, and the body with its
	// transfer-coding and content-coding intact. Required.
	Response Block

	// Truncated, if set, is the WARC-Truncated value of the response
	// record: "length" (a body-size cap), "time" (a timeout), "disconnect"
	// (the peer closed early) or "unspecified". A truncated response is
	// never deduplicated, nor used as the original of a revisit.
	Truncated string
}

// Written says where WriteExchange put an exchange.
type Written struct {
	File     string // base name of the WARC file
	Offset   int64  // offset in File of the response or revisit record
	Length   int64  // bytes of that record in File (one gzip member)
	RecordID string // its WARC-Record-ID, "<urn:uuid:…>"
	Revisit  bool   // the response was written as a revisit record

	// PayloadDigest is the WARC-Payload-Digest of the response, e.g.
	// "sha1:…"; empty when the response has no HTTP head that ends.
	PayloadDigest string
}

// Error is a failure to archive one exchange, or to create, roll over or
// close a file.
type Error struct {
	Op   string // "write", "create", "close", "index"
	URL  string // the exchange's URL; empty for file operations
	File string // the file concerned, if any
	Err  error
}

func (e *Error) Error() string {
	s := "warc: " + e.Op
	if e.URL != "" {
		s += " " + e.URL
	}
	if e.File != "" {
		s += " (" + e.File + ")"
	}
	return s + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Values of WARC-Truncated (WARC 1.1 section 5.13).
var truncatedReasons = map[string]bool{"length": true, "time": true, "disconnect": true, "unspecified": true}

// checkField reports whether s may be written as the value of a WARC header
// field: valid UTF-8, no control characters (a CR or LF would end the field
// and let a URL write fields of its own).
func checkField(what, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8", what)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%s holds the control character %q", what, r)
		}
	}
	return nil
}

func checkURL(u string) error {
	if u == "" {
		return fmt.Errorf("no URL")
	}
	if err := checkField("the URL", u); err != nil {
		return err
	}
	for _, r := range u {
		if r == ' ' {
			return fmt.Errorf("the URL holds a space")
		}
	}
	return nil
}

// newRecordID returns a random (version 4) UUID URN in angle brackets, as
// WARC-Record-ID is written.
func newRecordID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var b [47]byte
	copy(b[:], "<urn:uuid:")
	hex.Encode(b[10:18], u[0:4])
	b[18] = '-'
	hex.Encode(b[19:23], u[4:6])
	b[23] = '-'
	hex.Encode(b[24:28], u[6:8])
	b[28] = '-'
	hex.Encode(b[29:33], u[8:10])
	b[33] = '-'
	hex.Encode(b[34:46], u[10:16])
	b[46] = '>'
	return string(b[:])
}

// warcDate formats t as WARC-Date: UTC, microseconds.
func appendWARCDate(dst []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z")
}

// headerBuf builds a record's header.
type headerBuf []byte

func (h headerBuf) field(name, value string) headerBuf {
	h = append(h, name...)
	h = append(h, ": "...)
	h = append(h, value...)
	return append(h, "\r\n"...)
}

func (h headerBuf) fieldBytes(name string, value []byte) headerBuf {
	h = append(h, name...)
	h = append(h, ": "...)
	h = append(h, value...)
	return append(h, "\r\n"...)
}

func (h headerBuf) fieldInt(name string, v int64) headerBuf {
	h = append(h, name...)
	h = append(h, ": "...)
	h = strconv.AppendInt(h, v, 10)
	return append(h, "\r\n"...)
}

const (
	warcVersion    = "WARC/1.1\r\n"
	recordEnd      = "\r\n\r\n"
	revisitProfile = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
)
