package scheduler_test

import (
	"bufio"
	"context"
	"fmt"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

// The seed's greenlet program: two tasks hand the baton back and forth.
// Where greenlet switches explicitly (gr2.switch()), a task yields to the
// hub, which resumes the other: 12, 56, 34, 78.
func ExampleHub_Spawn() {
	h, err := scheduler.NewHub()
	if err != nil {
		panic(err)
	}
	defer h.Close()

	h.Run(func(*scheduler.Task) (any, error) {
		test1 := h.Spawn(func(*scheduler.Task) (any, error) {
			fmt.Println(12)
			scheduler.Yield() // gr2.switch()
			fmt.Println(34)
			return nil, nil
		})
		test2 := h.Spawn(func(*scheduler.Task) (any, error) {
			fmt.Println(56)
			scheduler.Yield() // gr1.switch()
			fmt.Println(78)
			return nil, nil
		})
		scheduler.JoinAll([]*scheduler.Task{test1, test2}, 0)
		return nil, nil
	})
	// Output:
	// 12
	// 56
	// 34
	// 78
}

// The seed's gevent.sleep program: func1 sleeps 2 units, func2 sleeps 1,
// and they interleave in gevent's order. A unit is 20ms here.
func ExampleSleep() {
	h, _ := scheduler.NewHub()
	defer h.Close()

	const unit = 20 * time.Millisecond
	h.Run(func(*scheduler.Task) (any, error) {
		func1 := h.Spawn(func(*scheduler.Task) (any, error) {
			fmt.Println("func1: start")
			scheduler.Sleep(2 * unit)
			fmt.Println("func1: back after 2 units")
			return nil, nil
		})
		func2 := h.Spawn(func(*scheduler.Task) (any, error) {
			fmt.Println("func2: start")
			scheduler.Sleep(1 * unit)
			fmt.Println("func2: back after 1 unit")
			return nil, nil
		})
		scheduler.JoinAll([]*scheduler.Task{func1, func2}, 0)
		return nil, nil
	})
	// Output:
	// func1: start
	// func2: start
	// func2: back after 1 unit
	// func1: back after 2 units
}

// The seed's selectors echo server: one hub serves many clients, a task
// per connection, and each client is a task too.
func ExampleListen() {
	h, _ := scheduler.NewHub()
	defer h.Close()

	const clients = 100
	addr := make(chan string, 1)
	server := h.Spawn(func(t *scheduler.Task) (any, error) {
		l, err := scheduler.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		addr <- l.Addr().String() // buffered: never blocks the hub
		for i := 0; i < clients; i++ {
			c, err := l.Accept()
			if err != nil {
				return nil, err
			}
			t.Hub().Spawn(func(*scheduler.Task) (any, error) {
				defer c.Close()
				r := bufio.NewReader(c)
				line, err := r.ReadString('\n')
				if err != nil {
					return nil, err
				}
				_, err = c.Write([]byte(line))
				return nil, err
			})
		}
		return nil, nil
	})
	a := <-addr
	tasks := []*scheduler.Task{server}
	answers := make([]string, clients)
	for i := 0; i < clients; i++ {
		tasks = append(tasks, h.Spawn(func(*scheduler.Task) (any, error) {
			c, err := scheduler.Dial("tcp", a)
			if err != nil {
				return nil, err
			}
			defer c.Close()
			fmt.Fprintf(c, "hello %d\n", i)
			answers[i], err = bufio.NewReader(c).ReadString('\n')
			return nil, err
		}))
	}
	scheduler.JoinAll(tasks, 0)
	ok := 0
	for i, a := range answers {
		if a == fmt.Sprintf("hello %d\n", i) {
			ok++
		}
	}
	fmt.Printf("%d of %d clients echoed\n", ok, clients)
	// Output:
	// 100 of 100 clients echoed
}

// A bounded wait for a permit and a connect, each under a context for
// cancellation and a bound the hub times itself, and a wait for the answer
// that holds no buffer until it comes.
func ExampleDialDeadline() {
	h, _ := scheduler.NewHub()
	defer h.Close()
	sem := scheduler.NewSemaphore(1)
	out, err := h.Run(func(t *scheduler.Task) (any, error) {
		l, err := scheduler.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		t.Hub().Spawn(func(*scheduler.Task) (any, error) {
			c, err := l.Accept()
			if err != nil {
				return nil, err
			}
			defer c.Close()
			_, err = c.Write([]byte("hello\n"))
			return nil, err
		})
		if err := sem.AcquireTimeout(context.Background(), time.Second); err != nil {
			return nil, err
		}
		defer sem.Release()
		c, err := scheduler.DialDeadline(context.Background(), "tcp", l.Addr().String(), time.Now().Add(time.Second))
		if err != nil {
			return nil, err
		}
		defer c.Close()
		if err := c.(*scheduler.Conn).WaitRead(); err != nil {
			return nil, err
		}
		return bufio.NewReader(c).ReadString('\n')
	})
	fmt.Printf("%q %v\n", out, err)
	// Output: "hello\n" <nil>
}
