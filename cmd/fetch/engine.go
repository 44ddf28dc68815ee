package main

// This file is the seam between the command and the fetcher: the types the
// command uses, and RunFunc, which tests replace through Options.Run to
// inject results.

import (
	"context"
	"errors"

	"github.com/greenfetch/greenfetch/fetcher"
)

type (
	Result    = fetcher.Result
	Job       = fetcher.Job
	Mode      = fetcher.Mode
	ErrorKind = fetcher.ErrorKind
	Config    = fetcher.RunConfig
	Stats     = fetcher.Stats
)

const (
	ModeSync    = fetcher.ModeSync
	ModeThreads = fetcher.ModeThreads
	ModeAsync   = fetcher.ModeAsync

	KindNone              = fetcher.KindNone
	KindInvalidURL        = fetcher.KindInvalidURL
	KindUnsupportedScheme = fetcher.KindUnsupportedScheme
	KindDNS               = fetcher.KindDNS
	KindConnect           = fetcher.KindConnect
	KindTimeout           = fetcher.KindTimeout
	KindTooLarge          = fetcher.KindTooLarge
	KindCanceled          = fetcher.KindCanceled
)

// ParseMode parses sync, threads or async.
func ParseMode(s string) (Mode, error) {
	m, err := fetcher.ParseMode(s)
	if err != nil {
		return 0, errors.New(`want sync, threads or async, got "` + s + `"`)
	}
	return m, nil
}

// RunFunc runs the jobs on the engine of mode and sends one result per job
// to results; it returns when jobs is closed and every result is sent
// (fetcher.Run's contract).
type RunFunc func(ctx context.Context, mode Mode, cfg Config, jobs <-chan Job, results chan<- Result) (Stats, error)

// durationMS is d in milliseconds as the output contract writes every
// *_ms number: the fetcher's rule, one for every package.
var durationMS = fetcher.DurationMS
