package decode_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/greenfetch/greenfetch/internal/decode"
)

// A body that a server gzipped, read through a Reader under a byte limit,
// as the fetcher reads one with --compressed and --max-body.
func Example() {
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	zw.Write([]byte(strings.Repeat("hello, world\n", 1000)))
	zw.Close()

	fmt.Println("Accept-Encoding:", decode.AcceptEncoding)
	r, err := decode.NewReader(&body, "gzip")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	n, err := io.Copy(io.Discard, io.LimitReader(r, 4096))
	fmt.Println(n, err)

	_, err = decode.NewReader(&body, "gzip, compress")
	var unknown *decode.UnknownError
	fmt.Println(errors.As(err, &unknown), unknown.Coding)
	// Output:
	// Accept-Encoding: br, zstd, gzip, deflate
	// 4096 <nil>
	// true compress
}
