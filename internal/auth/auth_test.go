package auth

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestParseChallenges(t *testing.T) {
	tests := []struct {
		name    string
		fields  []string
		want    []Challenge
		wantErr string // a prefix of the error
	}{
		{name: "basic", fields: []string{`Basic realm="simple"`},
			want: []Challenge{{Scheme: "Basic", Params: map[string]string{"realm": "simple"}}}},
		{name: "RFC 9110 example", fields: []string{`Basic realm="simple", Newauth realm="apps", type=1, title="Login to \"apps\""`},
			want: []Challenge{
				{Scheme: "Basic", Params: map[string]string{"realm": "simple"}},
				{Scheme: "Newauth", Params: map[string]string{"realm": "apps", "type": "1", "title": `Login to "apps"`}},
			}},
		{name: "RFC 7616 SHA-256 and MD5 in one field", fields: []string{`Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`},
			want: []Challenge{
				{Scheme: "Digest", Params: map[string]string{"realm": "http-auth@example.org", "qop": "auth, auth-int", "algorithm": "SHA-256", "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "opaque": "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"}},
				{Scheme: "Digest", Params: map[string]string{"realm": "http-auth@example.org", "qop": "auth, auth-int", "algorithm": "MD5", "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "opaque": "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"}},
			}},
		{name: "several fields", fields: []string{`Negotiate`, `Digest realm="r", nonce="n"`, `Basic realm="b"`},
			want: []Challenge{
				{Scheme: "Negotiate"},
				{Scheme: "Digest", Params: map[string]string{"realm": "r", "nonce": "n"}},
				{Scheme: "Basic", Params: map[string]string{"realm": "b"}},
			}},
		{name: "token68", fields: []string{`Negotiate YIIBhwYGKwYBBQUC==, Basic realm="x"`},
			want: []Challenge{{Scheme: "Negotiate", Token68: "YIIBhwYGKwYBBQUC=="}, {Scheme: "Basic", Params: map[string]string{"realm": "x"}}}},
		{name: "token68 with no padding at the end", fields: []string{`Bearer abc/def+ghi`},
			want: []Challenge{{Scheme: "Bearer", Token68: "abc/def+ghi"}}},
		{name: "names in any case, BWS around =", fields: []string{`dIgEsT REALM = "r" , NONCE=n, Stale=TRUE`},
			want: []Challenge{{Scheme: "dIgEsT", Params: map[string]string{"realm": "r", "nonce": "n", "stale": "TRUE"}}}},
		{name: "empty list elements", fields: []string{`, ,Basic realm="a",, ,Bearer`},
			want: []Challenge{{Scheme: "Basic", Params: map[string]string{"realm": "a"}}, {Scheme: "Bearer"}}},
		{name: "escapes and commas in quotes", fields: []string{`Digest realm="a\\b\"c, d=e", nonce="x"`},
			want: []Challenge{{Scheme: "Digest", Params: map[string]string{"realm": `a\b"c, d=e`, "nonce": "x"}}}},
		{name: "empty quoted value", fields: []string{`Digest realm="", nonce=""`},
			want: []Challenge{{Scheme: "Digest", Params: map[string]string{"realm": "", "nonce": ""}}}},
		{name: "unclosed quote keeps the earlier challenge", fields: []string{`Basic realm="a", Digest realm="b`},
			want: []Challenge{{Scheme: "Basic", Params: map[string]string{"realm": "a"}}}, wantErr: "malformed WWW-Authenticate"},
		{name: "bad field, good field", fields: []string{`=oops`, `Digest realm="r", nonce="n"`},
			want:    []Challenge{{Scheme: "Digest", Params: map[string]string{"realm": "r", "nonce": "n"}}},
			wantErr: `malformed WWW-Authenticate "=oops" at byte 0: want an auth-scheme`},
		{name: "parameter twice", fields: []string{`Digest realm="a", realm="b"`}, wantErr: `malformed WWW-Authenticate "Digest realm=\"a\", realm=\"b\"" at byte 27: parameter "realm" given twice`},
		// "realm=" is a token68 by the grammar; what follows is no challenge.
		{name: "missing value", fields: []string{`Digest realm=, nonce="n"`},
			want: []Challenge{{Scheme: "Digest", Token68: "realm="}}, wantErr: `malformed WWW-Authenticate "Digest realm=, nonce=\"n\"" at byte 20: want a space after the auth-scheme "nonce"`},
		{name: "control character", fields: []string{"Digest realm=\"a\x01\""}, wantErr: "malformed"},
		{name: "no comma between parameters", fields: []string{`Digest realm="a" nonce="b"`}, wantErr: "malformed"},
		{name: "nothing", fields: []string{""}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseChallenges(tt.fields...)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("ParseChallenges(%q): %v", tt.fields, err)
			}
			if tt.wantErr != "" {
				var se *SyntaxError
				if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v; want a *SyntaxError starting %q", err, tt.wantErr)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got ParseChallenges(%q) =\n%#v\nwant\n%#v", tt.fields, got, tt.want)
			}
		})
	}
}

// params splits an Authorization field into its parameters.
func params(t *testing.T, h string) map[string]string {
	t.Helper()
	cs, err := ParseChallenges(h)
	if err != nil || len(cs) != 1 || !cs[0].Is("Digest") {
		t.Fatalf("Authorization %q does not parse as one Digest credential: %v", h, err)
	}
	return cs[0].Params
}

func fixed(s string) func() (string, error) { return func() (string, error) { return s, nil } }

// TestDigestVectors replays the RFCs' examples (and values computed with
// Python's hashlib, where the RFC's own are wrong or missing).
func TestDigestVectors(t *testing.T) {
	const (
		rfc7616 = `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=%s, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`
		rfc2617 = `Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"`
	)
	tests := []struct {
		name, user, pass, challenge, cnonce, uri string
		requests                                 int // the vector is the last of these
		want                                     map[string]string
	}{
		{
			name: "RFC 2617 3.5", user: "Mufasa", pass: "Circle Of Life", challenge: rfc2617, cnonce: "0a4f113b", uri: "/dir/index.html", requests: 1,
			want: map[string]string{"username": "Mufasa", "realm": "testrealm@host.com", "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093", "uri": "/dir/index.html",
				"qop": "auth", "nc": "00000001", "cnonce": "0a4f113b", "response": "6629fae49393a05397450978507c4ef1", "opaque": "5ccc069c403ebaf9f0171e9517f40e41"},
		},
		{
			name: "RFC 7616 3.9.1 MD5", user: "Mufasa", pass: "Circle of Life", challenge: fmt.Sprintf(rfc7616, "MD5"), cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", uri: "/dir/index.html", requests: 1,
			want: map[string]string{"username": "Mufasa", "realm": "http-auth@example.org", "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "uri": "/dir/index.html", "algorithm": "MD5",
				"qop": "auth", "nc": "00000001", "cnonce": "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "response": "8ca523f5e9506fed4657c9700eebdbec", "opaque": "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"},
		},
		{
			name: "RFC 7616 3.9.1 SHA-256", user: "Mufasa", pass: "Circle of Life", challenge: fmt.Sprintf(rfc7616, "SHA-256"), cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", uri: "/dir/index.html", requests: 1,
			want: map[string]string{"username": "Mufasa", "realm": "http-auth@example.org", "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "uri": "/dir/index.html", "algorithm": "SHA-256",
				"qop": "auth", "nc": "00000001", "cnonce": "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "response": "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", "opaque": "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"},
		},
		{
			// RFC 2069: no qop, so no nc and no cnonce; the value another
			// client's tests publish for RFC 2617's inputs.
			name: "RFC 2069 no qop", user: "Mufasa", pass: "Circle Of Life", challenge: `Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"`, uri: "/dir/index.html", requests: 1,
			want: map[string]string{"username": "Mufasa", "realm": "testrealm@host.com", "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093", "uri": "/dir/index.html",
				"response": "670fd8c2df070c60b045671b8b24ff02"},
		},
		{
			// RFC 7616 3.9.2's inputs; its printed userhash and response
			// are not the hashes of them (a known erratum), so these come
			// from Python's hashlib.
			name: "RFC 7616 3.9.2 SHA-512-256 userhash", user: "J\u00e4s\u00f8n Doe", pass: "Secret, or not?",
			challenge: `Digest realm="api@example.org", qop="auth", algorithm=SHA-512-256, nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true`,
			cnonce:    "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v", uri: "/doe.json", requests: 1,
			want: map[string]string{"username": "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b", "realm": "api@example.org", "nonce": "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", "uri": "/doe.json", "algorithm": "SHA-512-256",
				"qop": "auth", "nc": "00000001", "cnonce": "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v", "response": "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5", "opaque": "HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", "userhash": "true"},
		},
		{
			name: "MD5-sess (Python's hashlib)", user: "Mufasa", pass: "Circle Of Life", challenge: `Digest realm="testrealm@host.com", qop="auth", algorithm=MD5-sess, nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"`, cnonce: "0a4f113b", uri: "/dir/index.html", requests: 1,
			want: map[string]string{"username": "Mufasa", "realm": "testrealm@host.com", "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093", "uri": "/dir/index.html", "algorithm": "MD5-sess",
				"qop": "auth", "nc": "00000001", "cnonce": "0a4f113b", "response": "8e3825c57e897f5a0dec6c2d4e5059d0"},
		},
		{
			name: "SHA-256-sess, second request (Python's hashlib)", user: "Mufasa", pass: "Circle of Life", challenge: `Digest realm="http-auth@example.org", qop=auth, algorithm=sha-256-SESS, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"`, cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", uri: "/dir/index.html", requests: 2,
			want: map[string]string{"username": "Mufasa", "realm": "http-auth@example.org", "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "uri": "/dir/index.html", "algorithm": "SHA-256-sess",
				"qop": "auth", "nc": "00000002", "cnonce": "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "response": "6bb0010aa4bdf46422a798c509ea32e256f27bd37de5cc3bdf8ed51e1d77d650"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Digest{Username: tt.user, Password: tt.pass, CNonce: fixed(tt.cnonce)}
			if h, ok, err := d.Authorization("GET", tt.uri); ok || err != nil {
				t.Fatalf("got Authorization before a challenge = %q, %v, %v; want none", h, ok, err)
			}
			retry, err := d.Challenge([]string{tt.challenge})
			if err != nil || !retry {
				t.Fatalf("got Challenge = %v, %v; want true, nil", retry, err)
			}
			var h string
			for i := 0; i < tt.requests; i++ {
				var ok bool
				if h, ok, err = d.Authorization("GET", tt.uri); !ok || err != nil {
					t.Fatalf("Authorization = %q, %v, %v", h, ok, err)
				}
			}
			if got := params(t, h); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got Authorization %s\nwith %v\nwant %v", h, got, tt.want)
			}
		})
	}
}

func TestDigestChoice(t *testing.T) {
	tests := []struct {
		name    string
		fields  []string
		wantAlg string // the algorithm parameter answered; "" when none is sent
		wantQop string
		wantErr string
	}{
		{name: "SHA-256 over MD5, MD5 first", fields: []string{`Digest realm="r", nonce="1", algorithm=MD5, qop="auth"`, `Digest realm="r", nonce="2", algorithm=SHA-256, qop="auth"`}, wantAlg: "SHA-256", wantQop: "auth"},
		{name: "SHA-512-256 over SHA-256", fields: []string{`Digest realm="r", nonce="1", algorithm=SHA-512-256, Digest realm="r", nonce="2", algorithm=SHA-256`}, wantAlg: "SHA-512-256"},
		{name: "SHA-256 over an unknown one", fields: []string{`Digest realm="r", nonce="1", algorithm=SHA3-512, Digest realm="r", nonce="2", algorithm=SHA-256`}, wantAlg: "SHA-256"},
		{name: "no algorithm means MD5, not echoed", fields: []string{`Digest realm="r", nonce="1"`}, wantAlg: ""},
		{name: "qop list with auth-int first", fields: []string{`Digest realm="r", nonce="1", qop="auth-int,auth"`}, wantQop: "auth"},
		{name: "Basic beside Digest", fields: []string{`Basic realm="r"`, `Digest realm="r", nonce="1"`}, wantAlg: ""},
		{name: "a malformed field beside a good one", fields: []string{`Weird "`, `Digest realm="r", nonce="1", algorithm=MD5`}, wantAlg: "MD5"},
		{name: "only auth-int", fields: []string{`Digest realm="r", nonce="1", qop="auth-int"`}, wantErr: `Digest authentication: qop "auth-int" is not supported (only auth)`},
		{name: "unknown algorithm", fields: []string{`Digest realm="r", nonce="1", algorithm=SHA-1`}, wantErr: `Digest authentication: algorithm "SHA-1" is not supported`},
		{name: "no nonce", fields: []string{`Digest realm="r"`}, wantErr: "Digest authentication: a challenge without a nonce"},
		{name: "no Digest", fields: []string{`Basic realm="r"`}, wantErr: "Digest authentication: the server offers no Digest challenge"},
		{name: "nothing", fields: nil, wantErr: "Digest authentication: the server offers no Digest challenge"},
		{name: "malformed only", fields: []string{`Digest realm="r`}, wantErr: "Digest authentication: malformed WWW-Authenticate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Digest{Username: "u", Password: "p"}
			retry, err := d.Challenge(tt.fields)
			if tt.wantErr != "" {
				var de *DigestError
				if retry || !errors.As(err, &de) || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("got Challenge = %v, %v; want false and an error starting %q", retry, err, tt.wantErr)
				}
				return
			}
			if err != nil || !retry {
				t.Fatalf("got Challenge = %v, %v; want true, nil", retry, err)
			}
			h, _, err := d.Authorization("GET", "/")
			if err != nil {
				t.Fatal(err)
			}
			p := params(t, h)
			if p["algorithm"] != tt.wantAlg || p["qop"] != tt.wantQop {
				t.Fatalf("got algorithm=%q qop=%q in %s; want %q, %q", p["algorithm"], p["qop"], h, tt.wantAlg, tt.wantQop)
			}
			if len(p["cnonce"]) != 32 && tt.wantQop != "" {
				t.Fatalf("got cnonce %q; want 32 hex digits from crypto/rand", p["cnonce"])
			}
		})
	}
}

// TestDigestRounds walks the retry rules: the first challenge, a nonce
// counted request by request, a stale nonce, wrong credentials.
func TestDigestRounds(t *testing.T) {
	d := &Digest{Username: "u", Password: "p"}
	step := func(what string, fields string, wantRetry bool) {
		t.Helper()
		retry, err := d.Challenge([]string{fields})
		if err != nil || retry != wantRetry {
			t.Fatalf("%s: got Challenge = %v, %v; want %v, nil", what, retry, err, wantRetry)
		}
	}
	nc := func(want string) {
		t.Helper()
		h, _, err := d.Authorization("GET", "/x")
		if err != nil {
			t.Fatal(err)
		}
		if got := params(t, h)["nc"]; got != want {
			t.Fatalf("got nc=%s; want %s", got, want)
		}
	}
	step("first challenge", `Digest realm="r", nonce="A", qop="auth"`, true)
	nc("00000001")
	nc("00000002")
	nc("00000003")
	step("stale nonce", `Digest realm="r", nonce="B", qop="auth", stale=true`, true)
	nc("00000001")
	step("same nonce again, not stale: wrong credentials", `Digest realm="r", nonce="B", qop="auth"`, false)
	step("a challenge before anything was sent", `Digest realm="r", nonce="C", qop="auth"`, true)
	nc("00000001")
	step("a new nonce, not stale: wrong credentials", `Digest realm="r", nonce="D", qop="auth", stale=false`, false)
}

func TestBasic(t *testing.T) {
	tests := []struct {
		user, pass, want string
	}{
		{"Aladdin", "open sesame", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="}, // RFC 7617 2
		{"test", "123\u00a3", "Basic dGVzdDoxMjPCow=="},                  // RFC 7617 2.1, UTF-8
		{"user", "", "Basic dXNlcjo="},
	}
	for _, tt := range tests {
		if got := Basic(tt.user, tt.pass); got != tt.want {
			t.Errorf("got Basic(%q, %q) = %q; want %q", tt.user, tt.pass, got, tt.want)
		}
	}
}

func TestSplitUser(t *testing.T) {
	tests := []struct {
		in, user, pass string
		has            bool
	}{
		{"alice:s3cret", "alice", "s3cret", true},
		{"alice:", "alice", "", true},
		{"alice", "alice", "", false},
		{"alice:pa:ss", "alice", "pa:ss", true},
		{":token", "", "token", true},
	}
	for _, tt := range tests {
		u, p, has := SplitUser(tt.in)
		if u != tt.user || p != tt.pass || has != tt.has {
			t.Errorf("got SplitUser(%q) = %q, %q, %v; want %q, %q, %v", tt.in, u, p, has, tt.user, tt.pass, tt.has)
		}
	}
}

// FuzzParseChallenges checks that the parser never panics, returns
// bounded results, and that what it parses survives a round trip: the
// challenges written back (every value quoted) parse to the same.
func FuzzParseChallenges(f *testing.F) {
	f.Add(`Basic realm="simple", Newauth realm="apps", type=1, title="Login to \"apps\""`)
	f.Add(`Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`)
	f.Add(`Negotiate YIIBhwYGKwYBBQUC==, Basic realm="x"`)
	f.Add(`, ,Basic realm="a",, ,Bearer`)
	f.Add(`Digest realm="a\\b\"c, d=e", nonce="x"`)
	f.Add(`a b=`)
	f.Add(`a =`)
	f.Add("a b=\"\\")
	f.Fuzz(func(t *testing.T, field string) {
		cs, err := ParseChallenges(field)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Pos < 0 || se.Pos > len(field) {
				t.Fatalf("got %T %v", err, err)
			}
		}
		if len(cs) > maxChallenges {
			t.Fatalf("got %d challenges", len(cs))
		}
		var b strings.Builder
		for i, c := range cs {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(c.Scheme)
			if c.Token68 != "" {
				b.WriteString(" " + c.Token68)
				continue
			}
			names := make([]string, 0, len(c.Params))
			for n := range c.Params {
				names = append(names, n)
			}
			sort.Strings(names)
			pw := paramWriter{}
			for _, n := range names {
				pw.param(n, c.Params[n], true)
			}
			if pw.Len() > 0 {
				b.WriteString(" " + pw.String())
			}
		}
		again, err := ParseChallenges(b.String())
		if err != nil {
			t.Fatalf("written back as %q: %v", b.String(), err)
		}
		for i := range cs {
			if len(cs[i].Params) == 0 {
				cs[i].Params = nil // "Scheme" alone reads back without params
			}
		}
		for i := range again {
			if len(again[i].Params) == 0 {
				again[i].Params = nil
			}
		}
		if !reflect.DeepEqual(again, cs) {
			t.Fatalf("%q: got %#v back from %q; want %#v", field, again, b.String(), cs)
		}
	})
}

func BenchmarkDigestAuthorization(b *testing.B) {
	d := &Digest{Username: "Mufasa", Password: "Circle of Life"}
	if _, err := d.Challenge([]string{`Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := d.Authorization("GET", "/dir/index.html"); err != nil {
			b.Fatal(err)
		}
	}
}
