// A module of its own, out of greenfetch's go.mod, that benchmarks
// github.com/nlnwa/gowarc/v3 against package warc on the same 20,000
// exchanges (see the package doc of warc for the numbers):
//
//	cd warc/testdata/gowarcbench && go test -bench . -benchtime 5x -count 5
module github.com/greenfetch/greenfetch/warc/testdata/gowarcbench

go 1.26.0

require (
	github.com/greenfetch/greenfetch v0.0.0
	github.com/nlnwa/gowarc/v3 v3.1.0
)

require (
	github.com/bits-and-blooms/bitset v1.24.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/klauspost/compress v1.18.0 // indirect
	github.com/nlnwa/whatwg-url v0.6.2 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/text v0.43.0 // indirect
)

replace github.com/greenfetch/greenfetch => ../../..
