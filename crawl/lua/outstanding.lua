-- Outstanding: ARGV: the prefix. Items queued or claimed.
return tonumber(redis.call('GET', ARGV[1] .. 'out') or '0')
