package main

import (
	"fmt"
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
// --http2-prior-knowledge on fs, setting *v.
func addHTTPVersionFlags(fs *pflag.FlagSet, v *fetcher.HTTPVersion) {
	chosen := new(string)
	for _, f := range httpVersionFlags {
		fl := fs.VarPF(&httpVersionFlag{v: v, version: f.version, name: f.name, chosen: chosen}, f.name, "", f.usage)
		fl.NoOptDefVal = "true"
	}
}

// httpVersionFlag is one of the version flags: a boolean that sets the
// shared version, and refuses a second, different version flag.
type httpVersionFlag struct {
	v       *fetcher.HTTPVersion
	version fetcher.HTTPVersion
	name    string
	chosen  *string // the version flag set to true so far, or ""
	on      bool
}

func (f *httpVersionFlag) String() string { return strconv.FormatBool(f.on) }
func (f *httpVersionFlag) Type() string   { return "bool" }

func (f *httpVersionFlag) Set(s string) error {
	on, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true or false, not %q", s)
	}
	switch {
	case on && *f.chosen != "" && *f.chosen != f.name:
		return fmt.Errorf("cannot be used with --%s: choose one HTTP version", *f.chosen)
	case on:
		*f.chosen, *f.v = f.name, f.version
	case *f.chosen == f.name:
		*f.chosen, *f.v = "", fetcher.HTTPVersionAuto
	}
	f.on = on
	return nil
}
