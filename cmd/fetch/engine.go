package main

// This file is the seam between the command and the engines: RunFunc and
// CrawlFunc, which tests replace through Options.Run and Options.Crawl to
// inject results. The command uses the fetcher's own names
// (fetcher.Result, fetcher.Mode, …).

import (
	"context"
	"errors"

	"github.com/greenfetch/greenfetch/crawl"
	"github.com/greenfetch/greenfetch/fetcher"
)

// parseMode parses sync, threads or async, with the error the flags print.
func parseMode(s string) (fetcher.Mode, error) {
	m, err := fetcher.ParseMode(s)
	if err != nil {
		return 0, errors.New(`want sync, threads or async, got "` + s + `"`)
	}
	return m, nil
}

// RunFunc runs the jobs on the engine of mode and sends one result per job
// to results; it returns when jobs is closed and every result is sent
// (fetcher.Run's contract).
type RunFunc func(ctx context.Context, mode fetcher.Mode, cfg fetcher.RunConfig, jobs <-chan fetcher.Job, results chan<- fetcher.Result) (fetcher.Stats, error)

// CrawlFunc runs the crawl of cfg, calling cfg.OnResult once per page,
// and returns its counters when it ends (crawl.Run's contract).
type CrawlFunc func(ctx context.Context, cfg crawl.Config) (crawl.Stats, error)
