package crawl

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"io"
	"strings"
)

// Sitemap limits (the sitemaps.org protocol allows 50,000 URLs and
// 50 MB per file; a crawl here takes less).
const (
	// MaxSitemapSize bounds the bytes of one sitemap, after gunzip.
	MaxSitemapSize = 10 << 20
	// MaxSitemapURLs bounds the URLs taken from one sitemap file.
	MaxSitemapURLs = 50000
	// MaxSitemaps bounds the sitemap files fetched in one crawl, index
	// files and the files they list included.
	MaxSitemaps = 100
)

// ParseSitemap reads a sitemap (a <urlset>) or a sitemap index (a
// <sitemapindex>), gzip-compressed or not, and returns the <loc> of its
// URLs or of the sitemaps it lists; index reports which it was. At most
// MaxSitemapSize bytes are read and MaxSitemapURLs locations returned.
// A broken file yields the locations read before the break.
func ParseSitemap(body []byte) (locs []string, index bool) {
	var r io.Reader = bytes.NewReader(body)
	if len(body) >= 2 && body[0] == 0x1f && body[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, false
		}
		defer zr.Close()
		r = zr
	}
	d := xml.NewDecoder(io.LimitReader(r, MaxSitemapSize))
	d.Strict = false
	inLoc := false
	var loc strings.Builder
	for len(locs) < MaxSitemapURLs {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "sitemapindex":
				index = true
			case "loc":
				inLoc = true
				loc.Reset()
			}
		case xml.CharData:
			if inLoc && loc.Len() < 4096 {
				loc.Write(t)
			}
		case xml.EndElement:
			if t.Name.Local == "loc" && inLoc {
				inLoc = false
				if s := strings.TrimSpace(loc.String()); s != "" {
					locs = append(locs, s)
				}
			}
		}
	}
	return locs, index
}

// capBuffer keeps the first max bytes written to it and drops the rest.
type capBuffer struct {
	b   []byte
	max int
}

func (c *capBuffer) Write(p []byte) (int, error) {
	if room := c.max - len(c.b); room > 0 {
		c.b = append(c.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
