//go:build ignore

// genbombs writes testdata/zeros-1GiB.br, the brotli bomb of TestBombs: one
// GiB of zero bytes, compressed at quality 5 with a 16 MiB window, which
// makes a file of about a kilobyte. Run from internal/decode:
//
//	go run testdata/genbombs.go
package main

import (
	"log"
	"os"

	"github.com/andybalholm/brotli"
)

func main() {
	f, err := os.Create("testdata/zeros-1GiB.br")
	if err != nil {
		log.Fatal(err)
	}
	w := brotli.NewWriterOptions(f, brotli.WriterOptions{Quality: 5, LGWin: 24})
	zeros := make([]byte, 1<<20)
	for i := 0; i < 1024; i++ {
		if _, err := w.Write(zeros); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
