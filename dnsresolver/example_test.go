package dnsresolver_test

import (
	"context"
	"fmt"

	"github.com/greenfetch/greenfetch/dnsresolver"
	"github.com/greenfetch/greenfetch/scheduler"
)

// A lookup from a task: names of the hosts file and *.localhost are answered
// without a query, so this runs with no network.
func ExampleResolver_LookupHost() {
	r, err := dnsresolver.NewAsync(dnsresolver.Config{
		Servers:   []string{"127.0.0.1:1"},
		HostsFile: "testdata/hosts-case",
	})
	if err != nil {
		panic(err)
	}
	h, _ := scheduler.NewHub()
	defer h.Close()
	h.Run(func(*scheduler.Task) (any, error) {
		for _, name := range []string{"Alias.Example", "api.localhost"} {
			ans, err := r.LookupHost(context.Background(), name)
			fmt.Println(name, ans.Addrs, err)
		}
		return nil, nil
	})
	_, err = r.LookupHost(context.Background(), "bad..name")
	fmt.Println(err)
	// Output:
	// Alias.Example [10.1.2.3] <nil>
	// api.localhost [127.0.0.1 ::1] <nil>
	// lookup bad..name: invalid host name
}

// Server addresses as users write them; a name is refused, since a
// resolver cannot look up its own server.
func ExampleParseServer() {
	for _, s := range []string{"192.0.2.1", "[2001:db8::53]:5353", "::1", "dns.example"} {
		ap, err := dnsresolver.ParseServer(s)
		fmt.Println(ap, err)
	}
	// Output:
	// 192.0.2.1:53 <nil>
	// [2001:db8::53]:5353 <nil>
	// [::1]:53 <nil>
	// invalid AddrPort DNS server "dns.example": not an IP address (a DNS server is given by address, not by name)
}
