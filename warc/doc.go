// Package warc writes web archives: WARC 1.1 files (ISO 28500:2017), one
// gzip member per record, with a CDXJ index beside them, from the bytes of
// HTTP exchanges as they crossed the wire.
package warc
