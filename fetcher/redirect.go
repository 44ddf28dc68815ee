package fetcher

// Redirects: where a 3xx answer sends a fetch, and with which method and
// body it goes on (RFC 9110 15.4); RunConfig.OnRedirect's hook is in
// onbody.go.

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// redirect returns where resp sends the fetch, nil when it is final, or
// the error that ends the fetch (a bad Location, another scheme, too many
// redirects).
func (st *fetchState) redirect(u *url.URL, resp *http.Response, seen *[]string) (*url.URL, *Error) {
	switch resp.StatusCode {
	case 301, 302, 303, 307, 308:
	default:
		return nil, nil
	}
	loc := resp.Header.Get("Location")
	if loc == "" || st.c.cfg.NoRedirects {
		return nil, nil // a 3xx without Location is a final answer (RFC 9110 15.4)
	}
	next, err := u.Parse(loc)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &Error{Kind: KindProtocol, Phase: PhaseHeader, URL: st.curURL, Err: fmt.Errorf("bad redirect Location %q: %v", MaskURL(loc), err)}
	}
	next.Fragment, next.RawFragment = "", ""
	if e := checkURL(next, next.String()); e != nil {
		e.Err = fmt.Errorf("redirect to %s: %w", MaskURL(next.String()), e.Err)
		e.URL = st.curURL
		return nil, e
	}
	if st.res.Redirects >= st.c.cfg.MaxRedirects {
		msg := fmt.Sprintf("stopped after %d redirects", st.res.Redirects)
		shown := MaskURL(next.String())
		for _, s := range *seen {
			if s == shown {
				msg += " (redirect loop back to " + s + ")"
				break
			}
		}
		return nil, &Error{Kind: KindTooManyRedirects, URL: st.curURL, Err: fmt.Errorf("%w: %s", ErrTooManyRedirects, msg)}
	}
	if !st.followRedirect(u, next) {
		return nil, nil // the hook keeps the 3xx as the final answer
	}
	*seen = append(*seen, st.curURL)
	return next, nil
}

// redirectRequest is the method after a redirect, and whether the body
// goes with it, as curl and browsers do it: 303 turns anything but HEAD
// into a GET without body; 301 and 302 turn a POST into a GET without body
// (RFC 9110 15.4.2, 15.4.3); otherwise (307, 308 included) the method and
// the body stay.
func redirectRequest(status int, method string, body bool) (string, bool) {
	switch {
	case status == 303 && method != "HEAD":
		return "GET", false
	case (status == 301 || status == 302) && method == "POST":
		return "GET", false
	}
	return method, body
}
