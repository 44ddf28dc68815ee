package testserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// WrongName is the only name in Certs.WrongName: a certificate for it fails
// verification for any loopback name (RFC 2606 reserves .invalid).
const WrongName = "wrong.invalid"

// LoopbackNames are the names every server certificate from GenerateCerts is
// valid for.
var LoopbackNames = []string{"127.0.0.1", "::1", "localhost"}

// CertOptions configures GenerateCerts. Its zero value is ready for use.
type CertOptions struct {
	// Names are extra DNS names or IP addresses that Server, Expired and
	// Untrusted are valid for, beyond LoopbackNames.
	Names []string
}

// KeyPair is a certificate and its private key, in files and in memory.
type KeyPair struct {
	CertFile string          // PEM of the leaf certificate
	KeyFile  string          // PEM of its PKCS #8 ECDSA P-256 key
	Cert     tls.Certificate // for tls.Config.Certificates; Leaf is set
}

// Certs is a CA and the server certificates tests need, made by
// GenerateCerts. Every key is ECDSA P-256.
type Certs struct {
	Dir    string            // directory holding the PEM files
	CAFile string            // PEM of the CA certificate
	CA     *x509.Certificate // the CA that signed Server, Expired and WrongName
	CAPool *x509.CertPool    // holds only CA: use as tls.Config.RootCAs

	// Server is valid now for LoopbackNames and CertOptions.Names.
	Server KeyPair
	// Expired has the names of Server but expired a day ago:
	// verification fails with x509.CertificateInvalidError{Reason: x509.Expired}.
	Expired KeyPair
	// WrongName is valid now, but only for the name WrongName:
	// verifying it for a loopback name fails with x509.HostnameError.
	WrongName KeyPair
	// Untrusted has the names of Server but is signed by another CA, not in
	// CAPool: verification fails with x509.UnknownAuthorityError.
	Untrusted KeyPair

	caKey *ecdsa.PrivateKey
}

// GenerateCerts makes a CA and the server key pairs of Certs in dir (which
// must exist), as ca.pem, server.pem, server-key.pem, expired.pem,
// expired-key.pem, wrongname.pem, wrongname-key.pem, untrusted.pem and
// untrusted-key.pem. Certificates valid now are valid from an hour ago for a
// week.
func GenerateCerts(dir string, opts CertOptions) (*Certs, error) {
	now := time.Now()
	ca, caKey, err := newCA("greenfetch test CA", now)
	if err != nil {
		return nil, err
	}
	c := &Certs{Dir: dir, CAFile: filepath.Join(dir, "ca.pem"), CA: ca, CAPool: x509.NewCertPool(), caKey: caKey}
	c.CAPool.AddCert(ca)
	if err := writePEM(c.CAFile, "CERTIFICATE", ca.Raw); err != nil {
		return nil, err
	}
	names := append(append([]string(nil), LoopbackNames...), opts.Names...)
	if c.Server, err = c.Issue("server", names, now.Add(-time.Hour), now.Add(7*24*time.Hour)); err != nil {
		return nil, err
	}
	if c.Expired, err = c.Issue("expired", names, now.Add(-48*time.Hour), now.Add(-24*time.Hour)); err != nil {
		return nil, err
	}
	if c.WrongName, err = c.Issue("wrongname", []string{WrongName}, now.Add(-time.Hour), now.Add(7*24*time.Hour)); err != nil {
		return nil, err
	}
	other, otherKey, err := newCA("greenfetch untrusted CA", now)
	if err != nil {
		return nil, err
	}
	if c.Untrusted, err = issue(dir, "untrusted", names, now.Add(-time.Hour), now.Add(7*24*time.Hour), other, otherKey); err != nil {
		return nil, err
	}
	return c, nil
}

// Issue makes a server key pair signed by c.CA, valid for names (DNS names
// or IP addresses) from notBefore to notAfter, written to base.pem and
// base-key.pem in c.Dir.
func (c *Certs) Issue(base string, names []string, notBefore, notAfter time.Time) (KeyPair, error) {
	return issue(c.Dir, base, names, notBefore, notAfter, c.CA, c.caKey)
}

// ClientConfig returns a TLS client configuration that trusts only c.CA.
func (c *Certs) ClientConfig() *tls.Config {
	return &tls.Config{RootCAs: c.CAPool, MinVersion: tls.VersionTLS12}
}

func newCA(cn string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("testserver: CA key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"greenfetch tests"}},
		NotBefore:             now.Add(-2 * time.Hour),
		NotAfter:              now.Add(8 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("testserver: CA certificate %q: %w", cn, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("testserver: CA certificate %q: %w", cn, err)
	}
	return cert, key, nil
}

func issue(dir, base string, names []string, notBefore, notAfter time.Time, ca *x509.Certificate, caKey *ecdsa.PrivateKey) (KeyPair, error) {
	if len(names) == 0 {
		return KeyPair{}, fmt.Errorf("testserver: certificate %s: no names", base)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return KeyPair{}, fmt.Errorf("testserver: key for %s: %w", base, err)
	}
	serial, err := newSerial()
	if err != nil {
		return KeyPair{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: names[0], Organization: []string{"greenfetch tests"}},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return KeyPair{}, fmt.Errorf("testserver: certificate %s for %v: %w", base, names, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return KeyPair{}, fmt.Errorf("testserver: certificate %s: %w", base, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return KeyPair{}, fmt.Errorf("testserver: key for %s: %w", base, err)
	}
	kp := KeyPair{
		CertFile: filepath.Join(dir, base+".pem"),
		KeyFile:  filepath.Join(dir, base+"-key.pem"),
		Cert:     tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
	}
	if err := writePEM(kp.CertFile, "CERTIFICATE", der); err != nil {
		return KeyPair{}, err
	}
	if err := writePEM(kp.KeyFile, "PRIVATE KEY", keyDER); err != nil {
		return KeyPair{}, err
	}
	return kp, nil
}

func newSerial() (*big.Int, error) {
	s, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("testserver: serial number: %w", err)
	}
	return s, nil
}

func writePEM(path, typ string, der []byte) error {
	b := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("testserver: writing %s: %w", path, err)
	}
	return nil
}
