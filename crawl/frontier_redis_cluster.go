package crawl

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/redis/go-redis/v9"
)

// A Redis Cluster is named by the URL of any of its nodes; openRedis
// finds out that it is one (INFO cluster says cluster_enabled:1) and
// talks to it through a cluster client, which sends each script to the
// node of the crawl's slot. More seed nodes, tried when the first is
// down, follow as addr= parameters (go-redis's cluster URL form):
//
//	redis://[user:pass@]host:port[?addr=host2:port2&addr=host3:port3]
//
// A URL with addr= always names a cluster. A cluster has only db 0.

// parseRedisURL parses a store URL into the options of its first node and
// the seeds of a cluster: nil when the URL has no addr= parameter, else
// that node's address and each addr=.
func parseRedisURL(rawURL string) (*redis.Options, []string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, err
	}
	q := u.Query()
	more := q["addr"]
	if len(more) > 0 {
		q.Del("addr")
		u.RawQuery = q.Encode()
	}
	opt, err := redis.ParseURL(u.String())
	if err != nil {
		return nil, nil, err
	}
	if len(more) == 0 {
		return opt, nil, nil
	}
	if opt.DB != 0 {
		return nil, nil, fmt.Errorf("db %d: a Redis Cluster has only db 0", opt.DB)
	}
	seeds := []string{opt.Addr}
	for _, a := range more {
		if h, p, err := net.SplitHostPort(a); err != nil || h == "" || p == "" {
			return nil, nil, fmt.Errorf("addr=%s: want host:port", a)
		}
		seeds = append(seeds, a)
	}
	return opt, seeds, nil
}

// newRedisClient returns a cluster client seeded with seeds when there
// are any, else a client of the one server of opt.
func newRedisClient(opt *redis.Options, seeds []string) redis.UniversalClient {
	if len(seeds) == 0 {
		return redis.NewClient(opt)
	}
	maxRetries := opt.MaxRetries
	if maxRetries == 0 {
		maxRetries = -1 // a client's options once made say 0 for -1: none
	}
	return redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:           seeds,
		Username:        opt.Username,
		Password:        opt.Password,
		TLSConfig:       opt.TLSConfig,
		Protocol:        opt.Protocol,
		DisableIdentity: opt.DisableIdentity,
		MaxRetries:      maxRetries,
		DialTimeout:     opt.DialTimeout,
		ReadTimeout:     opt.ReadTimeout,
		WriteTimeout:    opt.WriteTimeout,
		PoolSize:        opt.PoolSize, // per node
	})
}

// ping checks that the store answers. A single server that turns out to
// be a node of a Redis Cluster is replaced by a cluster client seeded
// with it (once: then f.client is a cluster client).
func (f *redisStore) ping(ctx context.Context) error {
	if err := f.client.Ping(ctx).Err(); err != nil {
		return err
	}
	c, ok := f.client.(*redis.Client)
	if !ok {
		return nil
	}
	info, err := c.Info(ctx, "cluster").Result()
	var re redis.Error
	if errors.As(err, &re) && !retryable(err) {
		// INFO refused (an ACL without @dangerous, a renamed command):
		// taken for a single server; ?addr= names a cluster outright.
		return nil
	}
	if err != nil {
		return err
	}
	if !strings.Contains(info, "cluster_enabled:1") {
		return nil
	}
	opt := c.Options()
	cc := newRedisClient(opt, []string{opt.Addr})
	cc.AddHook(tripHook{&f.trips})
	c.Close()
	f.client = cc
	return cc.Ping(ctx).Err()
}
