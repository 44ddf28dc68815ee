//go:build unix && !((linux || darwin || dragonfly || freebsd || netbsd || openbsd) && (amd64 || arm64) && !greenfetch_nogetg)

package scheduler

import "testing"

// These run where getg is the runtime.Stack fallback: on architectures
// without getg assembly, and in scripts/test.sh's greenfetch_nogetg run.

func TestParseGoroutineID(t *testing.T) {
	tests := []struct {
		name, in string
		want     uint64
		ok       bool
	}{
		{"running", "goroutine 123 [running]:\nmain.main()", 123, true},
		{"one", "goroutine 1 [running]:", 1, true},
		{"largest", "goroutine 18446744073709551615 [running]:", 1<<64 - 1, true},
		{"zero is no identity", "goroutine 0 [running]:", 0, false},
		{"overflow", "goroutine 18446744073709551616 [running]:", 0, false},
		{"no number", "goroutine [running]:", 0, false},
		{"cut after the number", "goroutine 42", 0, false},
		{"other header", "thread 42 [running]:", 0, false},
		{"empty", "", 0, false},
		{"letters", "goroutine 4x2 [running]:", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseGoroutineID([]byte(tt.in))
			if got != tt.want || ok != tt.ok {
				t.Errorf("got parseGoroutineID(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestGetgFallbackIdentities(t *testing.T) {
	if !GetgFallback {
		t.Fatal("got GetgFallback = false in a fallback build")
	}
	mine := getg()
	if mine == 0 || getg() != mine {
		t.Fatalf("got getg() = %d, then %d; want the same nonzero identity", mine, getg())
	}
	other := make(chan uint64)
	go func() { other <- getg() }()
	if g := <-other; g == 0 || g == mine {
		t.Errorf("got getg() = %d in another goroutine (mine %d); want a different nonzero identity", g, mine)
	}
}
