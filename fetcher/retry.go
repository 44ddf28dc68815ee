package fetcher

// Retries, as curl's --retry: which outcomes are tried again
// (Config.Retries, RetryAllErrors), and the waits between them (backoff
// with full jitter, or what Retry-After asks, within MaxRetryAfter and the
// time left).

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Retry backoff: attempt n waits a random time in [0, min(backoffCap,
// backoffBase·2ⁿ)) — "full jitter" (AWS architecture blog, 2015).
const (
	backoffBase = 100 * time.Millisecond
	backoffCap  = 10 * time.Second
)

// idempotent reports whether a request with method may be sent twice
// with the effect of once (RFC 9110 9.2.2).
func idempotent(method string) bool {
	switch method {
	case "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE":
		return true
	}
	return false
}

// afterAttempt decides what follows an attempt that got h's response or
// failed with ferr: again (a retry, after its wait, with h's response
// drained and its host released), or not, with h as the final answer (its
// stop set when a retry asked for was given up) or ferr as the failure
// (the host released). It is a function of its own, never inlined, so
// that attempts, whose frame is under every task parked on its answer,
// stays small (TestParkedTaskStack, see startResult).
//
//go:noinline
func (st *fetchState) afterAttempt(req *request, h *hop, ferr *Error) (again bool, _ *Error) {
	c := st.c
	resp := h.resp
	var wait, ra time.Duration
	asked := false // wait is the server's Retry-After (ra), capped by MaxRetryAfter
	if resp != nil {
		pause := resp.StatusCode == 429 || resp.StatusCode == 503
		if pause || st.retryable(req, resp, nil) {
			var ok bool
			if ra, ok = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				wait, asked = min(ra, c.cfg.MaxRetryAfter), true
				if pause {
					c.hosts.pause(h.hs, time.Now().Add(wait))
				}
			}
		}
	}
	if st.res.Retries < c.cfg.Retries && st.retryable(req, resp, ferr) {
		left, bound := st.retryTimeLeft()
		if asked && wait > left {
			// The server asks for more time than the fetch has: give up
			// now, with its answer, saying so.
			h.stop = &Error{Kind: KindTimeout, Phase: PhaseNone, URL: st.curURL, Err: &timeoutError{
				msg:     fmt.Sprintf("status %d asks to retry after %v (Retry-After), more than the %v left of %s", resp.StatusCode, ra, left.Round(time.Millisecond), bound),
				err:     os.ErrDeadlineExceeded,
				overall: true,
			}}
			return false, nil
		}
		if !asked {
			wait = backoff(st.res.Retries)
		}
		if wait < left {
			if resp != nil {
				st.drain(resp, h.cn)
			}
			c.hosts.release(h.hostKey, h.hs)
			st.res.Retries++
			c.retries.Add(1)
			if err := sleepCtx(st.ctx, wait); err != nil {
				return false, st.classify(PhaseNone, err)
			}
			return true, nil
		}
	}
	if ferr != nil {
		c.hosts.release(h.hostKey, h.hs)
		return false, ferr
	}
	return false, nil
}

// retryBody reports whether the fetch tries its URL again after the
// body failed with err: as an answer's failure is retried (Retries,
// retryable, a backoff that fits in the time left), with what the body
// delivered forgotten (a saved file is removed already). Observer.OnBytes
// has counted the lost bytes. Never inlined, to keep run's frame small
// (TestParkedTaskStack, see startResult).
//
//go:noinline
func (st *fetchState) retryBody(err *Error) bool {
	if st.res.Retries >= st.c.cfg.Retries || !st.retryable(&st.req, nil, err) {
		return false
	}
	wait := backoff(st.res.Retries)
	if left, _ := st.retryTimeLeft(); wait >= left {
		return false
	}
	st.res.Retries++
	st.c.retries.Add(1)
	st.res.Bytes, st.res.SHA256, st.res.SavedAs, st.res.Headers = 0, "", "", nil
	return sleepCtx(st.ctx, wait) == nil
}

// retryTimeLeft is the time left for retries to start in, and the bound
// that sets it: the overall Timeout, or RetryMaxTime.
func (st *fetchState) retryTimeLeft() (time.Duration, string) {
	end, bound := st.lazy.deadline, fmt.Sprintf("the %v timeout", st.c.cfg.Timeout)
	if rmt := st.c.cfg.RetryMaxTime; rmt > 0 && st.start.Add(rmt).Before(end) {
		end, bound = st.start.Add(rmt), fmt.Sprintf("the %v retry max time", rmt)
	}
	return max(time.Until(end), 0), bound
}

// retryable reports whether the outcome of an attempt (resp, or ferr) may
// be retried, as curl's --retry decides: transient failures of idempotent
// requests, or, with RetryAllErrors, every failure of any request.
func (st *fetchState) retryable(req *request, resp *http.Response, ferr *Error) bool {
	if st.c.cfg.RetryAllErrors {
		if ferr != nil {
			return ferr.Kind != KindCanceled
		}
		return resp.StatusCode >= 400
	}
	if !idempotent(req.method) {
		return false
	}
	if ferr != nil {
		return retryableError(ferr)
	}
	return retryableStatus(resp.StatusCode)
}

// retryableError reports the transient failures: a connect failure, a
// connection that broke before the response head, a phase timeout (not
// the overall one: no time is left).
func retryableError(e *Error) bool {
	switch e.Kind {
	case KindConnect, KindIO:
		return true
	case KindTimeout:
		var te *timeoutError
		return errors.As(e.Err, &te) && !te.overall
	}
	return false
}

// retryableStatus reports the statuses curl's --retry retries.
func retryableStatus(code int) bool {
	switch code {
	case 408, 429, 500, 502, 503, 504:
		return true
	}
	return false
}

func backoff(attempt int) time.Duration {
	ceil := backoffCap
	if attempt < 20 {
		ceil = min(backoffCap, backoffBase<<attempt)
	}
	return rand.N(ceil)
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP-date
// (RFC 9110 10.2.3).
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
