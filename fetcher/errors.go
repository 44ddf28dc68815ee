package fetcher

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

var (
	errNoHost          = errors.New("no host in URL")
	errBadPort         = errors.New("bad port")
	errHeaderTooLarge  = fmt.Errorf("response head larger than %d bytes", maxHeaderBytes)
	errNoResponse      = errors.New("connection closed before any response byte")
	errTooManyInfo     = fmt.Errorf("more than %d informational (1xx) responses", maxInfoResponses)
	errSwitching       = errors.New("server switched protocols (101) without being asked")
	errCanceled        = errors.New("run canceled before the fetch completed")
	errTrailingGarbage = errors.New("bytes after the end of the body")
)

// reasonError is a cause restated in words: Error gives the reason, Unwrap
// the original error.
type reasonError struct {
	msg string
	err error
}

func (e *reasonError) Error() string { return e.msg }
func (e *reasonError) Unwrap() error { return e.err }

// timeoutError says which bound ran out; it matches os.ErrDeadlineExceeded.
type timeoutError struct {
	msg string
	err error
	// overall says the fetch's own Timeout ran out (or would, before a
	// retry could start): no retry can help.
	overall bool
}

func (e *timeoutError) Error() string        { return e.msg }
func (e *timeoutError) Unwrap() error        { return e.err }
func (e *timeoutError) Timeout() bool        { return true }
func (e *timeoutError) Is(target error) bool { return target == os.ErrDeadlineExceeded }

// isTimeout reports whether err is a deadline or timeout.
func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, scheduler.ErrTimeout) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// classify turns the error of a phase into the *Error of the fetch: the one
// place where low-level errors become kinds. The rules, in order: a
// canceled run is canceled whatever broke; a timeout says which bound ran
// out; otherwise the phase decides, and in the header and body phases a
// connection failure is io while anything else the peer sent is protocol.
func (st *fetchState) classify(phase Phase, err error) *Error {
	e := &Error{Phase: phase, URL: st.curURL, Err: err}
	switch {
	case st.parent.Err() != nil:
		e.Kind, e.Err = KindCanceled, errCanceled
		if cause := context.Cause(st.parent); cause != nil && cause != context.Canceled && cause != context.DeadlineExceeded {
			e.Err = cause
		}
	case errors.Is(err, ErrBodyTooLarge):
		e.Kind = KindTooLarge
	case errors.Is(err, errSaveDir):
		e.Kind = KindIO
	case errors.Is(err, errHeaderTooLarge):
		e.Kind = KindProtocol
	case isTimeout(err) && (phase != PhaseDNS || st.ctx.Err() != nil):
		// A resolver that gave up in its own time is a dns failure; only
		// our own deadline makes a lookup a timeout.
		e.Kind = KindTimeout
		e.Err = st.timeoutCause(phase, err)
	case errors.As(err, new(*decodeError)):
		e.Kind = KindProtocol
	case phase == PhaseDNS:
		e.Kind = KindDNS
	case phase == PhaseConnect:
		e.Kind = KindConnect
	case phase == PhaseTLS:
		e.Kind = KindTLS
		e.Err = tlsReason(err)
	case isConnFailure(err):
		e.Kind = KindIO
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			if phase == PhaseBody {
				e.Err = &reasonError{"connection closed before the end of the body", err}
			} else if errors.Is(err, errNoResponse) {
				e.Err = err
			} else {
				e.Err = &reasonError{"connection closed in the middle of the response head", err}
			}
		}
	default:
		e.Kind = KindProtocol
	}
	return e
}

// timeoutCause names the bound that ran out: the overall Timeout, or the
// phase's own.
func (st *fetchState) timeoutCause(phase Phase, err error) error {
	if !time.Now().Before(st.lazy.deadline) {
		return &timeoutError{fmt.Sprintf("no complete response within %v (timeout) during %s", st.c.cfg.Timeout, phase), err, true}
	}
	switch phase {
	case PhaseConnect:
		return &timeoutError{fmt.Sprintf("connect timed out after %v", st.c.cfg.ConnectTimeout), err, false}
	case PhaseTLS:
		return &timeoutError{fmt.Sprintf("TLS handshake timed out after %v", st.c.cfg.TLSTimeout), err, false}
	case PhaseHeader:
		return &timeoutError{fmt.Sprintf("no response head within %v", st.c.cfg.HeaderTimeout), err, false}
	case PhaseBody:
		return &timeoutError{fmt.Sprintf("no body bytes for %v", st.c.cfg.IdleReadTimeout), err, false}
	}
	return &timeoutError{fmt.Sprintf("%s timed out", phase), err, false}
}

// isConnFailure reports whether err is the connection failing (closed,
// reset, broken) rather than the peer sending something wrong.
func isConnFailure(err error) bool {
	var se syscall.Errno
	var oe *net.OpError
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, errNoResponse) || errors.As(err, &se) || errors.As(err, &oe) ||
		errors.Is(err, scheduler.ErrHubClosed) || errors.Is(err, scheduler.ErrKilled)
}

// tlsReason restates a handshake error as the reason a user can act on.
func tlsReason(err error) error {
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var rh tls.RecordHeaderError
	var ae tls.AlertError
	switch {
	case errors.As(err, &ua):
		return &reasonError{"certificate signed by unknown authority", err}
	case errors.As(err, &he):
		return &reasonError{"certificate name mismatch: " + he.Error(), err}
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		return &reasonError{"certificate expired or not yet valid: " + ci.Error(), err}
	case errors.As(err, &ci):
		return &reasonError{"certificate invalid: " + ci.Error(), err}
	case errors.As(err, &rh):
		return &reasonError{"server did not answer in TLS (plain HTTP on this port?)", err}
	case errors.As(err, &ae):
		return &reasonError{"server refused the handshake: " + err.Error(), err}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return &reasonError{"connection closed during the TLS handshake", err}
	}
	return err
}
