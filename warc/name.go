package warc

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
)

// UniquePrefix returns base followed by this machine's host name, the
// process id and six random hex digits, e.g. "crawl-worker3-41237-9f2c1a":
// a prefix no other process (on this or another machine writing to a
// shared directory) will choose, for crawls whose workers each write their
// own file set. Characters of the host name other than letters, digits,
// '.' and '-' become '-'. An empty base gives "greenfetch".
func UniquePrefix(base string) string {
	if base == "" {
		base = "greenfetch"
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	host = strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '.', r == '-':
			return r
		}
		return '-'
	}, host)
	var rnd [3]byte
	rand.Read(rnd[:])
	return base + "-" + host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(rnd[:])
}
