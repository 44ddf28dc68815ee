// Package browsertest opens internal/report's HTML report in a real
// browser, Debian's headless Chromium driven by chromedp, and checks what
// a person would see: the charts drawn, a silent console, no load but the
// page itself, and a screenshot kept. It holds tests only; they live
// apart from the report package's so that the browser driver (chromedp
// and the generated protocol packages) stays out of that package's test
// binary, which the fuzzer builds and runs.
package browsertest
