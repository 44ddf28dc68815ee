package testserver

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"testing"
	"time"
)

func TestGenerateCerts(t *testing.T) {
	c, err := GenerateCerts(t.TempDir(), CertOptions{Names: []string{"extra.test", "127.0.0.9"}})
	if err != nil {
		t.Fatal(err)
	}
	verify := func(kp KeyPair, name string) error {
		_, err := kp.Cert.Leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: c.CAPool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		return err
	}
	isExpired := func(err error) bool {
		var e x509.CertificateInvalidError
		return errors.As(err, &e) && e.Reason == x509.Expired
	}
	isHostname := func(err error) bool { var e x509.HostnameError; return errors.As(err, &e) }
	isUnknown := func(err error) bool { var e x509.UnknownAuthorityError; return errors.As(err, &e) }
	tests := []struct {
		name    string
		kp      KeyPair
		host    string
		wantErr func(error) bool // nil: verification succeeds
	}{
		{"server 127.0.0.1", c.Server, "127.0.0.1", nil},
		{"server ::1", c.Server, "::1", nil},
		{"server localhost", c.Server, "localhost", nil},
		{"server extra name", c.Server, "extra.test", nil},
		{"server extra IP", c.Server, "127.0.0.9", nil},
		{"server other name", c.Server, "other.test", isHostname},
		{"expired", c.Expired, "127.0.0.1", isExpired},
		{"wrong name", c.WrongName, "127.0.0.1", isHostname},
		{"wrong name own name", c.WrongName, WrongName, nil},
		{"untrusted", c.Untrusted, "127.0.0.1", isUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verify(tt.kp, tt.host)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Errorf("Verify(%s): got %v; want success", tt.host, err)
			case tt.wantErr != nil && !tt.wantErr(err):
				t.Errorf("Verify(%s): got %v; want the documented error", tt.host, err)
			}
		})
	}

	// The files hold the same certificates, and load as key pairs.
	for _, kp := range []KeyPair{c.Server, c.Expired, c.WrongName, c.Untrusted} {
		loaded, err := tls.LoadX509KeyPair(kp.CertFile, kp.KeyFile)
		if err != nil {
			t.Fatalf("LoadX509KeyPair(%s): %v", kp.CertFile, err)
		}
		if string(loaded.Certificate[0]) != string(kp.Cert.Certificate[0]) {
			t.Errorf("%s: file differs from KeyPair.Cert", kp.CertFile)
		}
		if loaded.Leaf.PublicKeyAlgorithm != x509.ECDSA {
			t.Errorf("%s: got key algorithm %v; want ECDSA", kp.CertFile, loaded.Leaf.PublicKeyAlgorithm)
		}
	}
	b, err := os.ReadFile(c.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	if blk, _ := pem.Decode(b); blk == nil || string(blk.Bytes) != string(c.CA.Raw) {
		t.Errorf("%s: does not hold the CA certificate", c.CAFile)
	}

	// Issue makes custom certificates from the same CA.
	kp, err := c.Issue("custom", []string{"custom.test"}, time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(kp, "custom.test"); err != nil {
		t.Errorf("Issue(custom.test): Verify: %v", err)
	}
	if _, err := c.Issue("none", nil, time.Now(), time.Now().Add(time.Hour)); err == nil {
		t.Errorf("Issue with no names: got nil error; want one")
	}
}

func TestSizedFiles(t *testing.T) {
	files := SizedFiles(DefaultSizes...)
	for _, n := range DefaultSizes {
		b, ok := files[SizedPath(n)]
		if !ok || len(b) != n {
			t.Errorf("SizedFiles: %s: got %d bytes (present %v); want %d", SizedPath(n), len(b), ok, n)
		}
	}
	b := SizedBody(200)
	if string(b[:16]) != "0000000000000000" || string(b[64:80]) != "0000000000000040" || b[63] != '\n' {
		t.Errorf("SizedBody(200) = %q; want 64-byte lines starting with their hex offset", b)
	}
	for _, c := range SizedBody(1 << 16) {
		if c == '<' || (c < ' ' && c != '\n') || c > '~' {
			t.Fatalf("SizedBody: got byte %q; want printable ASCII without '<'", c)
		}
	}
}

func TestWriteFilesRejects(t *testing.T) {
	for _, name := range []string{"", "/abs", "../up", "a/../../up", "a//b", "./a"} {
		if err := writeFiles(t.TempDir(), map[string][]byte{name: nil}); err == nil {
			t.Errorf("writeFiles(%q): got nil error; want one", name)
		}
	}
	if err := writeFiles(t.TempDir(), map[string][]byte{"a/b/c.txt": []byte("x")}); err != nil {
		t.Errorf("writeFiles(a/b/c.txt): %v", err)
	}
}
