package crawl

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// An item's text form is what a store keeps of it: its depth, host, URL
// and parent, tab-separated, as in
//
//	1	example.org	http://example.org/a	http://example.org/
//
// The key is not in it: it is Hash(URL). A normalized URL holds no tab
// (Normalize escapes one), nor does a host; the parent, last, may hold
// anything. The bolt and Redis stores keep items so, and a store outside
// this package can too (MarshalText, UnmarshalText), so that every store
// reads what another wrote.

var errBadItem = errors.New("malformed item")

// AppendText appends the text form of it to b (encoding.TextAppender).
// It fails, appending nothing, for an item that has no URL, a negative
// depth, or a tab in its URL or host.
func (it Item) AppendText(b []byte) ([]byte, error) {
	if err := it.check(); err != nil {
		return b, err
	}
	return appendItem(b, it), nil
}

// MarshalText returns the text form of it (encoding.TextMarshaler); see
// AppendText.
func (it Item) MarshalText() ([]byte, error) {
	return it.AppendText(nil)
}

// UnmarshalText sets *it from its text form (encoding.TextUnmarshaler),
// Key included. Text that is no item's form, as a store that was written
// to by something else may hold, is an error naming (the start of) it.
func (it *Item) UnmarshalText(text []byte) error {
	v, err := decodeItem(string(text))
	if err != nil {
		return err
	}
	*it = v
	return nil
}

// check reports whether it has a text form.
func (it Item) check() error {
	switch {
	case it.URL == "":
		return fmt.Errorf("%w: no URL", errBadItem)
	case it.Depth < 0:
		return fmt.Errorf("%w: %s: depth %d", errBadItem, it.URL, it.Depth)
	case strings.IndexByte(it.URL, '\t') >= 0, strings.IndexByte(it.Host, '\t') >= 0:
		return fmt.Errorf("%w: a tab in URL %q or host %q", errBadItem, it.URL, it.Host)
	}
	return nil
}

// checkItems checks every item of a push.
func checkItems(items []Item) error {
	for _, it := range items {
		if err := it.check(); err != nil {
			return err
		}
	}
	return nil
}

// appendItem appends the text form of it, checked before, to b.
func appendItem(b []byte, it Item) []byte {
	b = strconv.AppendInt(b, int64(it.Depth), 10)
	b = append(b, '\t')
	b = append(b, it.Host...)
	b = append(b, '\t')
	b = append(b, it.URL...)
	b = append(b, '\t')
	return append(b, it.Parent...)
}

// maxQuotedItem bounds the text of a malformed item quoted in an error.
const maxQuotedItem = 200

// decodeItem reverses appendItem. The fields of the item it returns are
// substrings of s.
func decodeItem(s string) (Item, error) {
	bad := func() (Item, error) {
		q := s
		if len(q) > maxQuotedItem {
			q = q[:maxQuotedItem]
		}
		return Item{}, fmt.Errorf("%w: %q", errBadItem, q)
	}
	var f [3]string
	rest := s
	for i := range f {
		j := strings.IndexByte(rest, '\t')
		if j < 0 {
			return bad()
		}
		f[i], rest = rest[:j], rest[j+1:]
	}
	d, err := strconv.Atoi(f[0])
	if err != nil || d < 0 || f[2] == "" {
		return bad()
	}
	return Item{URL: f[2], Key: Hash(f[2]), Host: f[1], Depth: d, Parent: rest}, nil
}
