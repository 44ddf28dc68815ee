package netrc_test

import (
	"fmt"

	"github.com/greenfetch/greenfetch/internal/netrc"
)

func Example() {
	f, err := netrc.Parse("/home/me/.netrc", []byte(`
# staging
machine staging.example.com
    login deploy
    password "s3cret with spaces"
machine staging.example.com login ci password t0ken
default login anonymous password guest
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	c, ok := f.Lookup("staging.example.com", "")
	fmt.Println(c.Login, c.Password, ok)
	c, ok = f.Lookup("staging.example.com", "ci") // -u ci, or ci@ in the URL
	fmt.Println(c.Login, c.Password, ok)
	c, ok = f.Lookup("other.example.org", "")
	fmt.Println(c.Login, c.Password, ok)

	_, err = netrc.Parse("/home/me/.netrc", []byte("machine h login u password \"open\n"))
	fmt.Println(err)
	// Output:
	// deploy s3cret with spaces true
	// ci t0ken true
	// anonymous guest true
	// netrc /home/me/.netrc:1: a quoted string is not closed
}
