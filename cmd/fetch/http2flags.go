package main

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/greenfetch/greenfetch/fetcher"
)

// The HTTP version flags, as curl names them. At most one may be given.
var httpVersionFlags = []struct {
	name    string
	version fetcher.HTTPVersion
	usage   string
}{
	{"http1.1", fetcher.HTTPVersion1, "speak HTTP/1.1 only (by default https URLs offer h2 and HTTP/1.1)"},
	{"http2", fetcher.HTTPVersion2, "require HTTP/2 for https URLs (a server without h2 is a tls error)"},
	{"http2-prior-knowledge", fetcher.HTTPVersion2PriorKnowledge, "speak HTTP/2 without TLS (h2c) to http URLs, with no upgrade"},
}

func init() {
	// Listed in --help with the other request flags.
	for i := range flagGroups {
		if flagGroups[i].title == "Requests" {
			for _, f := range httpVersionFlags {
				flagGroups[i].names = append(flagGroups[i].names, f.name)
			}
		}
	}
}

// addHTTPVersionFlags defines --http1.1, --http2 and
// --http2-prior-knowledge on fs, setting *v. Two different ones are a
// usage error that the returned choice reports once the flags are parsed
// (a flag's own error would read `invalid argument "true"`).
func addHTTPVersionFlags(fs *pflag.FlagSet, v *fetcher.HTTPVersion) *httpVersionChoice {
	c := &httpVersionChoice{v: v}
	for _, f := range httpVersionFlags {
		fl := fs.VarPF(&httpVersionFlag{choice: c, version: f.version, name: f.name}, f.name, "", f.usage)
		fl.NoOptDefVal = "true"
	}
	return c
}

// httpVersionChoice is what the version flags chose: the names set to
// true, in order.
type httpVersionChoice struct {
	v  *fetcher.HTTPVersion
	on []string
}

// check returns the usage error of two different version flags.
func (c *httpVersionChoice) check() error {
	if c != nil && len(c.on) > 1 {
		return fmt.Errorf("--%s and --%s exclude each other: choose one HTTP version", c.on[0], c.on[1])
	}
	return nil
}

// httpVersionFlag is one of the version flags: a boolean that sets the
// shared version.
type httpVersionFlag struct {
	choice  *httpVersionChoice
	version fetcher.HTTPVersion
	name    string
	on      bool
}

func (f *httpVersionFlag) String() string { return strconv.FormatBool(f.on) }
func (f *httpVersionFlag) Type() string   { return "bool" }

func (f *httpVersionFlag) Set(s string) error {
	on, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true or false, not %q", s)
	}
	c := f.choice
	c.on = slices.DeleteFunc(c.on, func(n string) bool { return n == f.name })
	if on {
		c.on = append(c.on, f.name)
	}
	*c.v = fetcher.HTTPVersionAuto
	for _, hf := range httpVersionFlags {
		if len(c.on) > 0 && hf.name == c.on[len(c.on)-1] {
			*c.v = hf.version
		}
	}
	f.on = on
	return nil
}
