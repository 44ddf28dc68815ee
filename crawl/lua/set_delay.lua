-- SetHostDelay: ARGV: the prefix, the host, the delay in ms.
return redis.call('HSET', ARGV[1] .. 'hd', ARGV[2], ARGV[3])
