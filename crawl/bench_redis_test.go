package crawl

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

// BenchmarkRedisStoreCycle is the Redis store's work for one page as a
// crawl driver does it: pages completed in batches of up to 16, each with
// a 200-byte record and 10 links (5 new, 5 seen), and the next claim in
// the same script (CompleteClaim), on 8 hosts. It reports, besides the
// client's time and allocations a page, redis-server's CPU time a page
// (INFO cpu) and the round trips a page.
func BenchmarkRedisStoreCycle(b *testing.B) {
	r := testserver.StartRedis(b, testserver.RedisOptions{})
	s, err := OpenStore(context.Background(), r.URL(0, ""), StoreOptions{CrawlID: "bench", PerHost: 16})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	f := s.(*redisStore)
	benchCycle(b, f, r.Addr, func() int64 { return f.Stats().RoundTrips })
}

// cycler is what benchCycle drives.
type cycler interface {
	Push(items []Item) (PushResult, error)
	CompleteClaim(done []Completion, now time.Time, limit int) (PushResult, int, []Item, time.Duration, error)
}

func benchCycle(b *testing.B, f cycler, addr string, trips func() int64) {
	const hosts, batch, links = 8, 16, 10
	item := func(n int) Item {
		h := fmt.Sprintf("host%d.example", n%hosts)
		u := fmt.Sprintf("http://%s/page/%d", h, n)
		return Item{URL: u, Key: Hash(u), Host: h, Depth: 2, Parent: "http://" + h + "/"}
	}
	var seeds []Item
	for n := range 4 * batch {
		seeds = append(seeds, item(n))
	}
	if _, err := f.Push(seeds); err != nil {
		b.Fatal(err)
	}
	next := len(seeds)
	rec := []byte(strings.Repeat("r", 200))
	now := time.Unix(1_700_000_000, 0)
	_, _, held, _, err := f.CompleteClaim(nil, now, batch)
	if err != nil {
		b.Fatal(err)
	}
	cpu0, trips0 := redisCPU(b, addr), trips()
	b.ReportAllocs()
	b.ResetTimer()
	done := 0
	for done < b.N {
		if len(held) == 0 {
			b.Fatalf("nothing claimed after %d pages", done)
		}
		var cs []Completion
		for _, it := range held {
			var ls []Item
			for j := range links / 2 {
				ls = append(ls, item(next), item(next/2+j))
				next++
			}
			cs = append(cs, Completion{Item: it, Record: rec, Links: ls})
		}
		_, _, held, _, err = f.CompleteClaim(cs, now, batch)
		if err != nil {
			b.Fatal(err)
		}
		done += len(cs)
	}
	b.StopTimer()
	b.ReportMetric(float64(redisCPU(b, addr)-cpu0)/float64(done), "redis-µs/page")
	b.ReportMetric(float64(trips()-trips0)/float64(done), "trips/page")
	b.ReportMetric(0, "ns/op") // an op is not a page: see ns/page
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(done), "ns/page")
}

// redisCPU returns the CPU time redis-server at addr has used, in µs
// (INFO cpu: used_cpu_sys plus used_cpu_user).
func redisCPU(b *testing.B, addr string) int64 {
	b.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(c, "INFO cpu\r\n")
	rd := bufio.NewReader(c)
	head, err := rd.ReadString('\n')
	if err != nil || !strings.HasPrefix(head, "$") {
		b.Fatalf("INFO cpu: %q, %v", head, err)
	}
	var total float64
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			b.Fatalf("INFO cpu: %v", err)
		}
		line = strings.TrimSpace(line)
		if line == "" && total > 0 {
			break
		}
		for _, k := range []string{"used_cpu_sys:", "used_cpu_user:"} {
			if v, ok := strings.CutPrefix(line, k); ok {
				x, err := strconv.ParseFloat(v, 64)
				if err != nil {
					b.Fatalf("INFO cpu: %q", line)
				}
				total += x
			}
		}
		if strings.HasPrefix(line, "used_cpu_user_children") {
			break
		}
	}
	return int64(total * 1e6)
}
