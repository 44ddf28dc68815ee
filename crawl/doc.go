// Package crawl is greenfetch's crawler: from seed URLs it follows links,
// within a scope, to a depth, obeying robots.txt, and fetches every page
// once with the fetcher's engines (sync, threads or async) and client.
//
// The pieces, each usable alone:
//
//   - Normalize and Hash give a URL's canonical spelling and its 64-bit key;
//     VisitedSet is a compact set of those keys (10.7 to 21.3 bytes per
//     URL: a million URLs cost 16 MiB).
//   - ParseRobots and Robots.Allowed implement RFC 9309 (groups, longest
//     match, Allow on a tie, '*' and '$', a 500 KiB cap, Crawl-delay capped
//     at MaxCrawlDelay).
//   - LinkExtractor takes the links of an HTML body as it streams in,
//     with golang.org/x/net/html's tokenizer; no DOM, no whole page.
//   - Scope says which URLs a crawl may fetch: the seeds' hosts, their
//     registrable domains, their path prefixes, or a regular expression,
//     with include and exclude expressions.
//   - Frontier is the queue of URLs to fetch and the visited set, behind
//     an interface a shared store can implement; the memory frontier keeps
//     a breadth-first queue per host and serves hosts round-robin, with
//     per-host concurrency and delays. A Store is a frontier that also
//     keeps the crawl's results, one per URL; OpenStore opens one by the
//     scheme of its spec, from a registry (RegisterStore) as database/sql
//     opens drivers: "memory", "bolt:PATH" (a bbolt file: resumable after
//     a crash) and "redis://…" (Redis streams and consumer groups: many
//     workers share one crawl), with the same StoreOptions and the same
//     contract for all, which package crawltest checks (a store of
//     another package registers a scheme of its own, and keeps items in
//     their text form: Item.MarshalText).
//   - ParseSitemap reads sitemaps and sitemap indexes, gzipped or not.
//
// Run drives a crawl: it claims URLs from the frontier, fetches each
// origin's robots.txt before its first page, feeds fetcher.Run, streams
// each HTML body into a LinkExtractor through fetcher.RunConfig.OnBody,
// decides each redirect through fetcher.RunConfig.OnRedirect (a redirect
// target counts as visited; one already visited is not fetched again),
// and queues the links in scope at the next depth. Each page's
// fetcher.Result carries a fetcher.CrawlInfo (depth, parent, links).
//
// Imports run one way: cmd/fetch → crawl → fetcher.
package crawl
