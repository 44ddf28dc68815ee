-- The check every script of a crawl runs first: the crawl's marker
-- (ARGV[1] .. 'crawl'), which a worker sets when it opens the store,
-- is there. A Redis restarted without persistence (or FLUSHALL,
-- FLUSHDB, an eviction) lost it with the crawl's queues and counters:
-- the worker must stop with an error, never take the empty store for a
-- crawl that is done.
if redis.call('EXISTS', ARGV[1] .. 'crawl') == 0 then
  return redis.error_reply('NOCRAWL the crawl marker ' .. ARGV[1] .. 'crawl is gone')
end
