package warc

import (
	"bytes"
	"hash"
	"io"
	"strconv"
	"strings"
)

// Bounds on what the writer reads of an HTTP message to find its payload.
// They bound memory only: the bytes past them are still archived whole.
const (
	// maxHeadCollect is how much of a message head is kept to be parsed
	// (status, Content-Type, Transfer-Encoding); a head longer than this is
	// still archived whole and its end still found, but fields past the
	// first maxHeadCollect bytes are not looked at.
	maxHeadCollect = 64 << 10
	// maxChunkLine bounds a chunk-size line or a trailer line, as net/http's
	// internal/chunked.go does (maxLineLength = 4096).
	maxChunkLine = 4096
)

// head is what the writer learns from an HTTP message head.
type head struct {
	ended   bool   // an empty line ended the head; when false there is no payload
	length  int64  // bytes of the head, its empty line included (the whole block when !ended)
	status  int    // status code of a response's status line; 0 if it has none that parses
	method  string // method of a request line
	mime    string // Content-Type up to its first ';', spaces trimmed
	chunked bool   // the last transfer-coding is chunked (RFC 9112 section 6.1)
}

// scanner reads a block once, in order: it digests all of it, finds where
// the HTTP head ends, and digests the payload after it with any chunked
// transfer-coding removed, as WARC 1.1 section 6.3.2 defines the payload of
// an http or https response ("its entity-body, with any transfer-encoding
// removed").
type scanner struct {
	block   hash.Hash
	payload hash.Hash

	head       head
	collected  []byte // the first bytes of the head, up to maxHeadCollect
	lineStart  bool   // the last byte of the head seen so far ended a line
	sawCR      bool   // the last byte was a CR at the start of a line
	inPayload  bool
	payloadLen int64 // payload bytes digested (after de-chunking)
	de         dechunker
}

func (s *scanner) reset(block, payload hash.Hash) {
	block.Reset()
	payload.Reset()
	*s = scanner{block: block, payload: payload, collected: s.collected[:0], lineStart: false}
}

// Write takes the next bytes of the block.
func (s *scanner) Write(p []byte) (int, error) {
	n := len(p)
	s.block.Write(p)
	if !s.inPayload {
		i := s.scanHead(p)
		if i < 0 {
			return n, nil
		}
		p = p[i:]
	}
	if len(p) == 0 {
		return n, nil
	}
	if s.head.chunked {
		s.payloadLen += s.de.write(p, s.payload)
	} else {
		s.payload.Write(p)
		s.payloadLen += int64(len(p))
	}
	return n, nil
}

// scanHead looks for the empty line that ends the head in the next bytes
// p. It returns the index in p where the payload starts, or -1 when the
// head goes on past p. Lines may end in CRLF or a bare LF, as RFC 9112
// section 2.2 lets a recipient accept.
func (s *scanner) scanHead(p []byte) int {
	if s.head.length == 0 {
		s.lineStart = true // the block starts a line
	}
	for i, c := range p {
		s.head.length++
		if len(s.collected) < maxHeadCollect {
			s.collected = append(s.collected, c)
		}
		switch {
		case c == '\n':
			if s.lineStart {
				s.endHead()
				return i + 1
			}
			s.lineStart = true
			s.sawCR = false
		case c == '\r' && s.lineStart && !s.sawCR:
			s.sawCR = true
		default:
			s.lineStart = false
			s.sawCR = false
		}
	}
	return -1
}

func (s *scanner) endHead() {
	s.head.ended = true
	s.inPayload = true
	parseHead(s.collected, &s.head)
}

// parseHead reads the start line and the fields that the writer needs.
func parseHead(b []byte, h *head) {
	line, rest := nextLine(b)
	if bytes.HasPrefix(line, []byte("HTTP/")) {
		// status-line = HTTP-version SP status-code SP [ reason-phrase ]
		if sp := bytes.IndexByte(line, ' '); sp > 0 && len(line) >= sp+4 {
			code := line[sp+1 : sp+4]
			if (len(line) == sp+4 || line[sp+4] == ' ') && isDigits(code) {
				h.status, _ = strconv.Atoi(string(code))
			}
		}
	} else if sp := bytes.IndexByte(line, ' '); sp > 0 {
		h.method = string(line[:sp])
	}
	var te []byte
	for len(rest) > 0 {
		line, rest = nextLine(rest)
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue
		}
		name, value := line[:colon], bytes.TrimSpace(line[colon+1:])
		switch {
		case asciiEqualFold(name, "content-type"):
			if h.mime == "" {
				mt, _, _ := strings.Cut(string(value), ";")
				h.mime = strings.TrimSpace(mt)
			}
		case asciiEqualFold(name, "transfer-encoding"):
			// Several fields are one comma-separated list (RFC 9110 5.3);
			// only the last coding matters here.
			te = value
		}
	}
	if len(te) > 0 {
		codings := bytes.Split(te, []byte(","))
		h.chunked = asciiEqualFold(bytes.TrimSpace(codings[len(codings)-1]), "chunked")
	}
}

// nextLine splits b after its first line, dropping the line's CRLF or LF.
func nextLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil
	}
	line, rest = b[:i], b[i+1:]
	return bytes.TrimSuffix(line, []byte("\r")), rest
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// The dechunker removes the chunked transfer-coding (RFC 9112 section 7.1)
// from a body given to it in pieces of any size:
//
//	sizeLine:  hex digits, then optional whitespace and ";extensions", to LF
//	data:      left bytes of chunk data, handed on
//	dataEnd:   the CRLF (or LF) after the data
//	trailer:   field lines, until an empty line
//	done:      the last chunk and trailer were read; later bytes are not payload
//	broken:    the framing is malformed; nothing more is payload
//
// A body cut short (in any state but done) or broken leaves the payload
// as decoded so far: WARC 1.1 section 6.3.2 considers the payload of a
// truncated block truncated at the same position.
type dechunker struct {
	state   chunkState
	left    uint64 // data bytes left in the current chunk
	line    int    // bytes of the current size or trailer line
	digits  int    // hex digits of the current size line
	inExt   bool   // past the digits of the size line
	endCR   bool   // dataEnd saw its CR
	trailer bool   // the current trailer line has bytes
}

type chunkState uint8

const (
	chunkSizeLine chunkState = iota
	chunkData
	chunkDataEnd
	chunkTrailer
	chunkDone
	chunkBroken
)

// write decodes p, writing the data it carries to out, and returns the
// number of data bytes written.
func (d *dechunker) write(p []byte, out io.Writer) int64 {
	var n int64
	for len(p) > 0 {
		switch d.state {
		case chunkSizeLine:
			c := p[0]
			p = p[1:]
			d.line++
			if d.line > maxChunkLine {
				d.state = chunkBroken
				continue
			}
			switch {
			case c == '\n':
				if d.digits == 0 {
					d.state = chunkBroken
				} else if d.left == 0 {
					d.state = chunkTrailer
				} else {
					d.state = chunkData
				}
				d.line, d.digits, d.inExt = 0, 0, false
			case d.inExt:
				// chunk extensions and trailing whitespace are skipped
			case hexVal(c) >= 0:
				if d.digits == 15 { // 15 hex digits: 2^60 bytes, more than any body
					d.state = chunkBroken
					continue
				}
				d.left = d.left<<4 | uint64(hexVal(c))
				d.digits++
			case c == ';' || c == ' ' || c == '\t' || c == '\r':
				if d.digits == 0 {
					d.state = chunkBroken
					continue
				}
				d.inExt = true
			default:
				d.state = chunkBroken
			}
		case chunkData:
			k := uint64(len(p))
			if k > d.left {
				k = d.left
			}
			out.Write(p[:k])
			n += int64(k)
			p = p[k:]
			d.left -= k
			if d.left == 0 {
				d.state = chunkDataEnd
				d.endCR = false
			}
		case chunkDataEnd:
			c := p[0]
			p = p[1:]
			switch {
			case c == '\r' && !d.endCR:
				d.endCR = true
			case c == '\n':
				d.state = chunkSizeLine
			default:
				d.state = chunkBroken
			}
		case chunkTrailer:
			c := p[0]
			p = p[1:]
			d.line++
			if d.line > maxChunkLine {
				d.state = chunkBroken
				continue
			}
			switch c {
			case '\n':
				if !d.trailer {
					d.state = chunkDone
				}
				d.line, d.trailer = 0, false
			case '\r':
			default:
				d.trailer = true
			}
		case chunkDone, chunkBroken:
			return n
		}
	}
	return n
}

func hexVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
