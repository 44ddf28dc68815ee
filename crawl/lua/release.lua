-- uses: lib.lua
-- Release: a claimed item goes back to its host's queue (still
-- outstanding). ARGV: the prefix, host, entry ID, item.
local h = ARGV[2]
if finish(h, {ARGV[3]}) > 0 then
  redis.call('XADD', P .. 'q:' .. h, '*', 'i', ARGV[4])
  redis.call('HINCRBY', HQ, h, 1)
  if redis.call('SADD', ACTIVE, h) == 1 then redis.call('RPUSH', RING, h) end
end
return 0
