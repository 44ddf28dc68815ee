package warc

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"hash"
	"strconv"
)

// Digest is the algorithm of the WARC-Block-Digest and WARC-Payload-Digest
// fields, and of the digest in the CDXJ index.
type Digest uint8

const (
	// SHA1 writes "sha1:" and the base32 of the SHA-1 (RFC 4648 alphabet),
	// as wget, Heritrix, warcprox and Python's warcio do: what CDX indexes,
	// wayback machines and deduplication against earlier crawls compare.
	// It is the default.
	SHA1 Digest = iota
	// SHA256 writes "sha256:" and the hex of the SHA-256, as warcio.js and
	// Browsertrix do. Choose it when a payload crafted to collide in SHA-1
	// (SHAttered, 2017) must not be recorded as a revisit of another.
	SHA256
)

var digestNames = map[Digest]string{SHA1: "sha1", SHA256: "sha256"}

// String returns the label of the digest in WARC fields: "sha1" or "sha256".
func (d Digest) String() string {
	if s, ok := digestNames[d]; ok {
		return s
	}
	return "Digest(" + strconv.Itoa(int(d)) + ")"
}

func (d Digest) valid() bool {
	_, ok := digestNames[d]
	return ok
}

func (d Digest) newHash() hash.Hash {
	if d == SHA256 {
		return sha256.New()
	}
	return sha1.New()
}

// appendFormat appends the field value of the digest sum: "sha1:BASE32" or
// "sha256:hex".
func (d Digest) appendFormat(dst []byte, sum []byte) []byte {
	dst = append(dst, d.String()...)
	dst = append(dst, ':')
	if d == SHA256 {
		return hex.AppendEncode(dst, sum)
	}
	return base32.StdEncoding.AppendEncode(dst, sum)
}
