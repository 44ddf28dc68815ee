-- Retire: the consumer leaves the groups of the hosts where it holds
-- nothing (a worker's Close). ARGV: the prefix, the consumer, hosts.
local P, consumer = ARGV[1], ARGV[2]
local n = 0
for i = 3, #ARGV do
  local q = P .. 'q:' .. ARGV[i]
  local ok, p = pcall(redis.call, 'XPENDING', q, 'w', '-', '+', 1, consumer)
  if ok and #p == 0 then
    redis.pcall('XGROUP', 'DELCONSUMER', q, 'w', consumer)
    n = n + 1
  end
end
return n
