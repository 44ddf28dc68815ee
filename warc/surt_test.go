package warc_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/greenfetch/greenfetch/warc"
)

// surtCases are URLs whose urlkeys warcio.js computes: the reference.
var surtCases = []string{
	"http://example.com/",
	"http://example.com",
	"https://www.Example.com:8443/a/b?z=1&a=2#top",
	"http://www2.example.com/x",
	"http://wwwexample.com/x",
	"http://www.www.example.com/",
	"https://example.com:443/secure",
	"http://example.com:80/plain",
	"http://example.com:443/",
	"http://127.0.0.1:8080/index.html",
	"http://[::1]:8080/v6?b&a",
	"http://example.com/a/./b/../c",
	"http://example.com/a/b/..",
	"http://example.com/%7Euser/Caps%2FPath",
	"http://example.com/?",
	"http://example.com/p?b=2&a=1&a=0",
	"http://example.com./trailing-dot",
	"ftp://example.com/file",
	"dns:example.com",
	"HTTP://EXAMPLE.COM/UPPER",
}

func TestSURTMatchesWarcio(t *testing.T) {
	dir := warcio(t)
	in, _ := json.Marshal(surtCases)
	cmd := exec.Command("node", "--input-type=module", "-e", `
import { getSurt } from "warcio";
let data = "";
for await (const c of process.stdin) data += c;
console.log(JSON.stringify(JSON.parse(data).map(getSurt)));
`)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var want []string
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("node printed %q: %v", out, err)
	}
	for i, u := range surtCases {
		if got := warc.SURT(u); got != want[i] {
			t.Errorf("SURT(%q) = %q; warcio.js says %q", u, got, want[i])
		}
	}
}
