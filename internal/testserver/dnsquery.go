package testserver

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// maxDNSMessage bounds a DNS message over TCP (RFC 1035 4.2.2: 16-bit length).
const maxDNSMessage = 65535

// Query sends one DNS question for name (a trailing dot is added when
// missing) and type typ to server ("127.0.0.1:PORT") over network ("udp" or
// "tcp") and returns the reply. It is a minimal test client: one attempt, no
// EDNS0, no retry over TCP on truncation; a reply whose ID or question does
// not match is an error. Without a deadline in ctx, 2s is used.
func Query(ctx context.Context, network, server, name string, typ dnsmessage.Type) (*dnsmessage.Message, error) {
	if name == "" || name[len(name)-1] != '.' {
		name += "."
	}
	qname, err := dnsmessage.NewName(name)
	if err != nil {
		return nil, fmt.Errorf("testserver: query %s %v: %w", name, typ, err)
	}
	var idb [2]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return nil, err
	}
	q := dnsmessage.Question{Name: qname, Type: typ, Class: dnsmessage.ClassINET}
	msg := dnsmessage.Message{
		Header:    dnsmessage.Header{ID: binary.BigEndian.Uint16(idb[:]), RecursionDesired: true},
		Questions: []dnsmessage.Question{q},
	}
	packed, err := msg.Pack()
	if err != nil {
		return nil, fmt.Errorf("testserver: query %s %v: %w", name, typ, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, server)
	if err != nil {
		return nil, fmt.Errorf("testserver: query %s %v to %s: %w", name, typ, server, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	reply, err := exchange(conn, network, packed)
	if err != nil {
		return nil, fmt.Errorf("testserver: query %s %v to %s/%s: %w", name, typ, server, network, err)
	}
	var r dnsmessage.Message
	if err := r.Unpack(reply); err != nil {
		return nil, fmt.Errorf("testserver: query %s %v to %s/%s: malformed reply: %w", name, typ, server, network, err)
	}
	if r.ID != msg.ID || !r.Response || len(r.Questions) != 1 || r.Questions[0] != q {
		return nil, fmt.Errorf("testserver: query %s %v to %s/%s: reply does not match the query (ID %d, want %d)", name, typ, server, network, r.ID, msg.ID)
	}
	return &r, nil
}

func exchange(conn net.Conn, network string, packed []byte) ([]byte, error) {
	if network == "udp" || network == "udp4" || network == "udp6" {
		if _, err := conn.Write(packed); err != nil {
			return nil, err
		}
		buf := make([]byte, maxDNSMessage)
		n, err := conn.Read(buf)
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
	if network != "tcp" && network != "tcp4" && network != "tcp6" {
		return nil, errors.New("network must be udp or tcp")
	}
	out := make([]byte, 2, 2+len(packed))
	binary.BigEndian.PutUint16(out, uint16(len(packed)))
	if _, err := conn.Write(append(out, packed...)); err != nil {
		return nil, err
	}
	var lb [2]byte
	if _, err := io.ReadFull(conn, lb[:]); err != nil {
		return nil, err
	}
	buf := make([]byte, binary.BigEndian.Uint16(lb[:]))
	if _, err := io.ReadFull(conn, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}
