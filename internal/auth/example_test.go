package auth_test

import (
	"fmt"

	"github.com/greenfetch/greenfetch/internal/auth"
)

// A 401 that offers SHA-256 and MD5 (RFC 7616 §3.9.1), answered with
// SHA-256. CNonce is fixed here to replay the RFC's example; left nil, it
// comes from crypto/rand.
func Example() {
	d := &auth.Digest{
		Username: "Mufasa",
		Password: "Circle of Life",
		CNonce:   func() (string, error) { return "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", nil },
	}
	retry, err := d.Challenge([]string{
		`Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
		`Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
	})
	fmt.Println(retry, err)
	h, _, _ := d.Authorization("GET", "/dir/index.html")
	fmt.Println(h)
	fmt.Println(auth.Basic("Aladdin", "open sesame"))
	// Output:
	// true <nil>
	// Digest username="Mufasa", realm="http-auth@example.org", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", uri="/dir/index.html", algorithm=SHA-256, response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", qop=auth, nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
	// Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==
}
