-- Visit: ARGV: the prefix, the key. 1 if it was not visited yet.
return redis.call('SADD', ARGV[1] .. 'seen', ARGV[2])
