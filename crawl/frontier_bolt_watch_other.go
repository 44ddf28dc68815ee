//go:build !linux

package crawl

import (
	"errors"
	"net"
)

// boltSocketName: a bolt writer serves its results on Linux only (an
// abstract Unix socket); elsewhere a running crawl's file is read once
// it has ended.
func boltSocketName(string) (string, error) { return "", errors.ErrUnsupported }

func samePeerUser(net.Conn) bool { return false }
