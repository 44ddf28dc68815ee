package testserver

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// DefaultSizes are the body sizes SizedFiles is usually called with: empty,
// one byte, around the common buffer sizes, and a large file.
var DefaultSizes = []int{0, 1, 100, 1023, 1024, 1025, 4096, 16 << 10, 64<<10 + 1, 1 << 20}

// SizedPath returns the docroot-relative path of the file of the given size
// in SizedFiles, such as "sized/4096.bin". Its URL path is "/" + SizedPath(n).
func SizedPath(size int) string { return fmt.Sprintf("sized/%d.bin", size) }

// SizedBody returns size deterministic bytes: 64-byte lines, each starting
// with its offset in hex, so a misplaced or lost chunk shows. The bytes are
// printable ASCII and newlines and never contain '<' (so the SSI filter of
// the chunked location passes them unchanged), and compress well.
func SizedBody(size int) []byte {
	const (
		line = 64
		text = " greenfetch abcdefghijklmnopqrstuvwxyz 01234567\n" // line - 16 bytes
	)
	b := make([]byte, 0, size+line)
	for off := 0; len(b) < size; off += line {
		b = fmt.Appendf(b, "%016x", off)
		b = append(b, text...)
	}
	return b[:size]
}

// SizedFiles returns files for NginxOptions.Files, one per size, named by
// SizedPath with bodies from SizedBody.
func SizedFiles(sizes ...int) map[string][]byte {
	m := make(map[string][]byte, len(sizes))
	for _, n := range sizes {
		m[SizedPath(n)] = SizedBody(n)
	}
	return m
}

// writeFiles writes files under root. Names are slash-separated relative
// paths; one that is absolute or climbs out of root is an error.
func writeFiles(root string, files map[string][]byte) error {
	for name, body := range files {
		clean := path.Clean("/" + name)[1:]
		if clean == "" || name != clean || strings.HasPrefix(name, "../") {
			return fmt.Errorf("testserver: file name %q: want a clean relative path such as \"dir/file.txt\"", name)
		}
		p := filepath.Join(root, filepath.FromSlash(clean))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("testserver: file %q: %w", name, err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			return fmt.Errorf("testserver: file %q: %w", name, err)
		}
	}
	return nil
}
