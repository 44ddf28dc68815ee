//go:build unix

package scheduler

import (
	"errors"
	"fmt"
	"net"
	"testing"
	"time"
)

// TestDispatchMatchesRegistration drives dispatch with hand-made events
// for an fd on which a task is parked reading: an event carrying the fd's
// registration sequence, or anySeq (kqueue's events, keyed by fd alone),
// wakes the task; one carrying another registration's sequence (an fd
// closed and reused under epoll) or naming an fd the hub does not hold is
// dropped. A woken task with nothing to read retries, gets EAGAIN and
// parks again, so the wakes here are harmless.
func TestDispatchMatchesRegistration(t *testing.T) {
	tests := []struct {
		name string
		ev   func(pd *pollDesc) pollEvent
		wake bool
	}{
		{"current registration", func(pd *pollDesc) pollEvent { return pollEvent{fd: pd.fd, seq: pd.seq, flags: pollRead} }, true},
		{"anySeq (kqueue)", func(pd *pollDesc) pollEvent { return pollEvent{fd: pd.fd, seq: anySeq, flags: pollRead} }, true},
		{"error wakes readers too", func(pd *pollDesc) pollEvent { return pollEvent{fd: pd.fd, seq: pd.seq, flags: pollErr} }, true},
		{"write edge leaves the reader parked", func(pd *pollDesc) pollEvent { return pollEvent{fd: pd.fd, seq: pd.seq, flags: pollWrite} }, false},
		{"another registration", func(pd *pollDesc) pollEvent { return pollEvent{fd: pd.fd, seq: pd.seq + 1, flags: pollRead} }, false},
		{"fd not held", func(pd *pollDesc) pollEvent { return pollEvent{fd: len(pd.h.fds) + 5, seq: anySeq, flags: pollRead} }, false},
		{"negative fd", func(pd *pollDesc) pollEvent { return pollEvent{fd: -1, seq: anySeq, flags: pollRead} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := NewHub()
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			pcs := make(chan *PacketConn, 1)
			reader := h.Spawn(func(*Task) (any, error) {
				pc, err := ListenPacket("udp", "127.0.0.1:0")
				if err != nil {
					pcs <- nil
					return nil, err
				}
				defer pc.Close()
				pcs <- pc.(*PacketConn)
				_, _, err = pc.ReadFrom(make([]byte, 1))
				return nil, err
			})
			pc := <-pcs
			if pc == nil {
				_, err := reader.Join()
				t.Fatal(err)
			}
			for h.ParkedTasks() != 1 {
				time.Sleep(100 * time.Microsecond)
			}
			got := make(chan string, 1)
			h.Post(func() {
				pd := pc.pd
				if pd.rt == nil || pd.rt.state != stateParked {
					got <- "reader not parked on the fd"
					return
				}
				rt := pd.rt
				h.dispatch([]pollEvent{tt.ev(pd)})
				got <- fmt.Sprintf("woken=%v", rt.state == stateRunnable)
			})
			if g, want := <-got, fmt.Sprintf("woken=%v", tt.wake); g != want {
				t.Errorf("got %s; want %s", g, want)
			}
			// Woken or not, the reader parks again (EAGAIN) and is still
			// waiting: a spurious wake costs a retry, nothing more.
			for h.ParkedTasks() != 1 {
				time.Sleep(100 * time.Microsecond)
			}
			if reader.Dead() {
				v, err := reader.Join()
				t.Fatalf("got the reader ended with %v, %v; want it parked again", v, err)
			}
			pc.Close()
			if _, err := reader.Join(); !errors.Is(err, net.ErrClosed) {
				t.Errorf("got reader error %v after Close; want net.ErrClosed", err)
			}
		})
	}
}
