package serve_test

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/greenfetch/greenfetch/internal/serve"
)

func Example() {
	s, err := serve.Start("127.0.0.1:0", serve.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	resp, err := http.Get(s.URL() + "/size/5")
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, len(body), string(body))

	resp, err = http.Get(s.URL() + "/size/oops")
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(resp.StatusCode, " ", string(body))
	// Output:
	// 200 5 01234
	// 400 serve: bad path "/size/oops": size "oops": want a byte count such as 512, 16KiB, 10MB or 1GiB
}

func ExampleURLFor() {
	fmt.Println(serve.URLFor("http://127.0.0.1:8080", 500*time.Millisecond, 16<<10))
	// Output: http://127.0.0.1:8080/delay/500ms/size/16KiB
}

func ExampleSpec_URL() {
	sp := serve.Spec{Size: 1 << 20, Gzip: true, Redirect: 2, Type: "text/html"}
	fmt.Println(sp.URL("http://127.0.0.1:8080"))
	// Output: http://127.0.0.1:8080/size/1MiB/gzip/redirect/2/type/text%2Fhtml
}
