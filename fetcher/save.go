package fetcher

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/greenfetch/greenfetch/scheduler"
)

// Bounds of saved file names.
const (
	maxSaveName     = 200  // bytes; many file systems allow 255
	maxSaveAttempts = 1000 // name~1 … name~999 when names collide
	saveBufferSize  = 32 << 10
)

// saveName derives a flat file name from u: host, port, path and a hash of
// the query, every byte outside [A-Za-z0-9._-] replaced by '_'. The name
// holds no separator and never starts with a dot, so it cannot leave the
// directory whatever the URL says (../, %2e%2e, absolute paths, NUL).
func saveName(u *url.URL) string {
	host, port := hostPort(u)
	raw := host + "_" + port + u.EscapedPath()
	if strings.HasSuffix(raw, "/") || u.EscapedPath() == "" {
		if !strings.HasSuffix(raw, "/") {
			raw += "/"
		}
		raw += "index.html"
	}
	b := []byte(raw)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '-', c == '_':
		default:
			b[i] = '_'
		}
	}
	name := string(b)
	if u.RawQuery != "" {
		name += "_q" + shortHash(u.RawQuery)
	}
	if len(name) > maxSaveName {
		name = name[:maxSaveName-10] + "_" + shortHash(raw+"?"+u.RawQuery)
	}
	if name[0] == '.' {
		name = "_" + name
	}
	return name
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:4])
}

// saveFile is a body being written to disk, through a buffer, with every
// file operation on a worker thread (scheduler.Blocking).
type saveFile struct {
	root *os.Root
	f    *os.File
	name string
	w    *bufio.Writer
}

// createSaveFile creates a new file for u's body in dir, never outside it
// (os.Root), never over an existing file (name~N instead). It returns the
// file and its path.
func createSaveFile(dir string, u *url.URL) (*saveFile, string, error) {
	base := saveName(u)
	sf, err := scheduler.Blocking(func() (*saveFile, error) {
		root, err := os.OpenRoot(dir)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errSaveDir, err)
		}
		for i := 0; i < maxSaveAttempts; i++ {
			name := base
			if i > 0 {
				name += "~" + strconv.Itoa(i)
			}
			f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			if err != nil {
				root.Close()
				return nil, fmt.Errorf("%w: %w", errSaveDir, err)
			}
			sf := &saveFile{root: root, f: f, name: name}
			sf.w = bufio.NewWriterSize(blockingWriter{f}, saveBufferSize)
			return sf, nil
		}
		root.Close()
		return nil, fmt.Errorf("%w: %d files named %s already", errSaveDir, maxSaveAttempts, base)
	})
	if err != nil {
		return nil, "", err
	}
	return sf, filepath.Join(dir, sf.name), nil
}

func (sf *saveFile) Write(p []byte) (int, error) { return sf.w.Write(p) }

// finish flushes and closes the file; a failed body's file is removed.
func (sf *saveFile) finish(failed bool) error {
	_, err := scheduler.Blocking(func() (struct{}, error) {
		var err error
		if !failed {
			err = sf.w.Flush()
		}
		if cerr := sf.f.Close(); err == nil {
			err = cerr
		}
		if failed || err != nil {
			sf.root.Remove(sf.name)
		}
		sf.root.Close()
		return struct{}{}, err
	})
	if err != nil {
		return fmt.Errorf("%w: %w", errSaveDir, err)
	}
	return nil
}
