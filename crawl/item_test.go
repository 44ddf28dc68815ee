package crawl

import (
	"errors"
	"strings"
	"testing"
)

func TestItemText(t *testing.T) {
	tests := []struct {
		name string
		it   Item
		text string // "" when MarshalText must fail
	}{
		{"seed", Item{URL: "http://h/", Host: "h"}, "0\th\thttp://h/\t"},
		{"link", Item{URL: "http://h:8080/a?b=1", Host: "h:8080", Depth: 3, Parent: "http://h:8080/"}, "3\th:8080\thttp://h:8080/a?b=1\thttp://h:8080/"},
		{"parent with a tab", Item{URL: "http://h/", Host: "h", Parent: "x\ty"}, "0\th\thttp://h/\tx\ty"},
		{"no URL", Item{Host: "h"}, ""},
		{"negative depth", Item{URL: "http://h/", Host: "h", Depth: -1}, ""},
		{"tab in URL", Item{URL: "http://h/a\tb", Host: "h"}, ""},
		{"tab in host", Item{URL: "http://h/", Host: "h\tx"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.it.MarshalText()
			if tt.text == "" {
				if err == nil {
					t.Errorf("MarshalText(%+v) = %q; want an error", tt.it, b)
				}
				return
			}
			if err != nil || string(b) != tt.text {
				t.Fatalf("MarshalText(%+v) = %q, %v; want %q", tt.it, b, err, tt.text)
			}
			var got Item
			want := tt.it
			want.Key = Hash(want.URL)
			if err := got.UnmarshalText(b); err != nil || got != want {
				t.Errorf("UnmarshalText(%q) = %+v, %v; want %+v", b, got, err, want)
			}
		})
	}
	for _, bad := range []string{"", "0", "0\th\thttp://h/", "x\th\thttp://h/\t", "-1\th\thttp://h/\t", "0\th\t\t", "99999999999999999999\th\tu\t"} {
		var it Item
		if err := it.UnmarshalText([]byte(bad)); !errors.Is(err, errBadItem) {
			t.Errorf("UnmarshalText(%q) = %+v, %v; want errBadItem", bad, it, err)
		}
	}
	var it Item
	long := strings.Repeat("x", 10000)
	if err := it.UnmarshalText([]byte(long)); err == nil || len(err.Error()) > 2*maxQuotedItem {
		t.Errorf("UnmarshalText of 10000 bytes: error of %d bytes; want at most %d", len(err.Error()), 2*maxQuotedItem)
	}
}

// FuzzItemText: what UnmarshalText accepts (as a store's bytes) marshals
// back to text that unmarshals to the same item, and that text is the
// original up to the spelling of the depth.
func FuzzItemText(f *testing.F) {
	for _, s := range []string{
		"0\th\thttp://h/\t",
		"3\th:8080\thttp://h:8080/a\thttp://h:8080/",
		"+1\th\thttp://h/\t",                 // a sign: read, written back without it
		"0\t\thttp://h/\tparent\twith\ttabs", // no host; the parent holds tabs
		"9223372036854775807\th\tu\t",        // the largest depth
		"0\th\t\t",                           // no URL: refused
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var it Item
		if err := it.UnmarshalText(b); err != nil {
			return
		}
		if it.Key != Hash(it.URL) {
			t.Fatalf("UnmarshalText(%q): key %x; want Hash(URL)", b, it.Key)
		}
		text, err := it.MarshalText()
		if err != nil {
			t.Fatalf("UnmarshalText(%q) = %+v, which MarshalText refuses: %v", b, it, err)
		}
		var again Item
		if err := again.UnmarshalText(text); err != nil || again != it {
			t.Fatalf("round trip of %q: %q -> %+v, %v; want %+v", b, text, again, err, it)
		}
		_, rest, _ := strings.Cut(string(b), "\t")
		_, restText, _ := strings.Cut(string(text), "\t")
		if rest != restText {
			t.Fatalf("MarshalText(UnmarshalText(%q)) = %q: more than the depth's spelling changed", b, text)
		}
	})
}
