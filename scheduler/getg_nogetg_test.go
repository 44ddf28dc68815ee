//go:build greenfetch_nogetg

package scheduler

import "testing"

// TestNogetgTagSelectsFallback proves that the greenfetch_nogetg run of
// scripts/test.sh exercises the fallback, not the assembly.
func TestNogetgTagSelectsFallback(t *testing.T) {
	if !GetgFallback {
		t.Fatal("got GetgFallback = false with tag greenfetch_nogetg; want the runtime.Stack fallback")
	}
}
