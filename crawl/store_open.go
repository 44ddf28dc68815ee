package crawl

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/greenfetch/greenfetch/fetcher"
)

// A StoreOpener opens the store that spec names (the whole spec, its
// scheme included: "bolt:crawl.db", "redis://host:6379/0") for the crawl
// opts.CrawlID. It returns a Store or an error, never both nor neither;
// an error wraps ErrStoreSetup when the store cannot be used at all.
type StoreOpener func(ctx context.Context, spec string, opts StoreOptions) (Store, error)

var stores = struct {
	sync.RWMutex
	m map[string]StoreOpener
}{m: map[string]StoreOpener{}}

// RegisterStore makes a store scheme known to OpenStore, as sql.Register
// makes a database driver known to sql.Open. This package registers
// "memory", "bolt", "redis" and "rediss"; a store that lives elsewhere
// registers itself from its package's init. It panics if scheme is
// registered twice, if open is nil, or if scheme is no URL scheme
// (RFC 3986: a letter, then letters, digits, '+', '-' or '.').
func RegisterStore(scheme string, open StoreOpener) {
	if open == nil {
		panic("crawl: RegisterStore of " + scheme + " with a nil opener")
	}
	if !validScheme(scheme) {
		panic(fmt.Sprintf("crawl: RegisterStore: %q is no scheme", scheme))
	}
	stores.Lock()
	defer stores.Unlock()
	if _, dup := stores.m[scheme]; dup {
		panic("crawl: RegisterStore called twice for " + scheme)
	}
	stores.m[scheme] = open
}

func validScheme(s string) bool {
	if s == "" || !('a' <= s[0] && s[0] <= 'z' || 'A' <= s[0] && s[0] <= 'Z') {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// StoreSchemes returns the registered store schemes, sorted.
func StoreSchemes() []string {
	stores.RLock()
	defer stores.RUnlock()
	var names []string
	for s := range stores.m {
		names = append(names, s)
	}
	slices.Sort(names)
	return names
}

// StoreScheme returns the scheme of a store spec, opening nothing: the
// part before the first ':', or the whole spec when it has none (only
// the memory store is named by its scheme alone), "memory" for the empty
// spec. A spec whose scheme is not registered, or that names nothing
// after its scheme ("bolt:"), is an error wrapping ErrStoreSetup that
// says what a spec looks like.
func StoreScheme(spec string) (string, error) {
	if spec == "" {
		return "memory", nil
	}
	scheme, rest, colon := strings.Cut(spec, ":")
	stores.RLock()
	_, known := stores.m[scheme]
	stores.RUnlock()
	if !known || (colon || scheme != "memory") && rest == "" {
		return "", specError{fetcher.MaskURL(spec)}
	}
	return scheme, nil
}

// specError is the error of a spec that names no store; it wraps
// ErrStoreSetup.
type specError struct{ spec string }

func (e specError) Error() string { return fmt.Sprintf("want %s, got %q", specForms(), e.spec) }
func (e specError) Unwrap() error { return ErrStoreSetup }

// builtinSchemes are the schemes of this package's stores.
var builtinSchemes = map[string]bool{"memory": true, "bolt": true, "redis": true, "rediss": true}

// specForms lists the forms of the registered specs: "memory, bolt:PATH
// or redis://host:port/db", then "(or SCHEME:…, …)" for the schemes
// registered by other packages.
func specForms() string {
	var more []string
	for _, s := range StoreSchemes() {
		if !builtinSchemes[s] {
			more = append(more, s+":…")
		}
	}
	forms := "memory, bolt:PATH or redis://host:port/db"
	if len(more) > 0 {
		forms += " (or " + strings.Join(more, ", ") + ")"
	}
	return forms
}

// OpenStore opens the store that spec names, by its scheme (see
// StoreScheme and RegisterStore), for the crawl opts.CrawlID:
//
//	memory (or "")                  in this process, for one run
//	bolt:PATH                       a bbolt file: one process at a time, resumable
//	redis://[user:pass@]host:port/db  Redis (rediss:// for TLS), shared by any number of workers
//
// A Redis Cluster is named by any of its nodes, and may list more seed
// nodes as redis://host:port?addr=host2:port2&addr=host3:port3. An error
// wraps ErrStoreSetup when the store cannot be used at all (exit 2 for a
// command); its text, as every message of a store, shows a password of
// the spec as ***.
func OpenStore(ctx context.Context, spec string, opts StoreOptions) (Store, error) {
	scheme, err := StoreScheme(spec)
	if err != nil {
		return nil, err
	}
	if spec == "" {
		spec = "memory"
	}
	stores.RLock()
	open := stores.m[scheme]
	stores.RUnlock()
	s, err := open(ctx, spec, opts)
	switch {
	case err != nil:
		if s != nil {
			s.Close()
		}
		return nil, maskedError{err}
	case s == nil:
		return nil, fmt.Errorf("%w: %s: the %s store opened nothing", ErrStoreSetup, fetcher.MaskURL(spec), scheme)
	}
	return s, nil
}

// maskedError shows an error with the password of every URL in it as
// ***; errors.Is and As see the error itself.
type maskedError struct{ err error }

func (e maskedError) Error() string { return fetcher.MaskURL(e.err.Error()) }
func (e maskedError) Unwrap() error { return e.err }
