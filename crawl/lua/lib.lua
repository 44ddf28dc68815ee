-- The prelude of the Redis store's scripts (crawl/frontier_redis.go):
-- the crawl's key names and the functions push, finish and rest. A script
-- names the files it needs on its first line ("-- uses: lib.lua …"); they
-- come before it, in that order, in the script Redis runs.
--
-- ARGV[1] is the crawl's key prefix, "greenfetch:{ID}:" (one Redis
-- Cluster slot). Under it:
--   seen        set: the keys (8 bytes) of every URL pushed or visited
--   out         the number of items outstanding: queued or claimed
--   outb        their bytes (each item's text form)
--   hq, hc      hash host -> items queued, items claimed
--   hn, hd      hash host -> next start allowed (ms), delay (ms)
--   hosts       set: the hosts with a stream (and its consumer group)
--   active      set, and ring a list: the hosts with work, in turn
--   q:HOST      stream: the host's items, read through the group 'w'
--   ct:HOST     sorted set: the host's claimed entries by claim time (ms)
--   done        set: the keys of the URLs with a result
--   crawl       the crawl's marker, set by each worker's open (lib_crawl.lua)
--   hb          sorted set: consumer -> its last heartbeat (ms; lib_claim.lua)
--   results     stream: the result records, 'r' fields
-- Times are the callers' (the nows given to Claim), in ms: the store
-- reads no clock of its own.
local P = ARGV[1]
local SEEN, OUT, HQ, HC = P .. 'seen', P .. 'out', P .. 'hq', P .. 'hc'
local OUTB = P .. 'outb'
local ACTIVE, RING = P .. 'active', P .. 'ring'

-- many runs cmd key list… in chunks (unpack's bound), and returns the
-- replies of the chunks concatenated when they are arrays, summed else.
local function many(cmd, key, list)
  local all, sum = {}, 0
  for i = 1, #list, 1000 do
    local r = redis.call(cmd, key, unpack(list, i, math.min(i + 999, #list)))
    if type(r) == 'table' then
      for _, x in ipairs(r) do all[#all + 1] = x end
    else
      sum = sum + r
    end
  end
  return all, sum
end

-- push: ARGV[i0] is the bound of outstanding items (0: none), ARGV[i0+1]
-- the bound of their bytes (0: none), ARGV[i0+2] the count, then key,
-- host, item per item. It tests and sets the visited keys of a call in
-- one SMISMEMBER and one SADD, and updates a host's counters once a
-- call, not once an item: a script's cost is mostly its number of
-- redis.call. It returns {added, duplicates, dropped}.
local function push(i0)
  local max, maxb, n = tonumber(ARGV[i0]), tonumber(ARGV[i0+1]), tonumber(ARGV[i0+2])
  if n == 0 then return {0, 0, 0} end
  local keys = {}
  for i = 0, n - 1 do keys[i + 1] = ARGV[i0+3+3*i] end
  local member = many('SMISMEMBER', SEEN, keys)
  local out, outb = 0, 0
  if max > 0 then out = tonumber(redis.call('GET', OUT) or '0') end
  if maxb > 0 then outb = tonumber(redis.call('GET', OUTB) or '0') end
  local added, addedb, dup, dropped = 0, 0, 0, 0
  local new, batch, hosts, per, qs = {}, {}, {}, {}, {}
  for i = 0, n - 1 do
    local k, h, item = keys[i + 1], ARGV[i0+4+3*i], ARGV[i0+5+3*i]
    if member[i + 1] == 1 or batch[k] then
      dup = dup + 1
    elseif max > 0 and out + added >= max or maxb > 0 and outb + addedb + #item > maxb then
      dropped = dropped + 1
    else
      batch[k] = true
      new[#new + 1] = k
      if per[h] == nil then
        per[h] = 0
        hosts[#hosts + 1] = h
        qs[h] = P .. 'q:' .. h
        if redis.call('SADD', P .. 'hosts', h) == 1 then
          redis.pcall('XGROUP', 'CREATE', qs[h], 'w', '0', 'MKSTREAM') -- BUSYGROUP if it exists: fine
        end
      end
      redis.call('XADD', qs[h], '*', 'i', item)
      per[h] = per[h] + 1
      added = added + 1
      addedb = addedb + #item
    end
  end
  if added > 0 then
    many('SADD', SEEN, new)
    redis.call('INCRBY', OUT, added)
    redis.call('INCRBY', OUTB, addedb)
  end
  for _, h in ipairs(hosts) do
    redis.call('HINCRBY', HQ, h, per[h])
    if redis.call('SADD', ACTIVE, h) == 1 then redis.call('RPUSH', RING, h) end
  end
  return {added, dup, dropped}
end

-- finish acknowledges and deletes entries of host h's stream, and frees
-- their claims; it returns how many were still claimed (an entry
-- completed before counts 0: every acknowledgement deletes its entry in
-- the same script) and, given sizes (the bytes of each entry's item),
-- their bytes. The outstanding counts are the caller's to lower.
local function finish(h, ids, sizes) -- at most maxCompletionBatch ids
  local q = P .. 'q:' .. h
  local a = redis.call('XACK', q, 'w', unpack(ids))
  if a == 0 then
    return 0, 0
  end
  local b = 0
  if sizes then
    for i, id in ipairs(ids) do
      -- All acknowledged now, or (rarely: a page completed twice) those
      -- whose entry is still there: an entry completed before is gone.
      if a == #ids or #redis.call('XRANGE', q, id, id) > 0 then
        b = b + tonumber(sizes[i])
      end
    end
  end
  redis.call('XDEL', q, unpack(ids))
  redis.call('ZREM', P .. 'ct:' .. h, unpack(ids))
  redis.call('HINCRBY', HC, h, -a)
  return a, b
end

-- rest takes host h off the ring when it has nothing queued or claimed.
local function rest(h)
  if tonumber(redis.call('HGET', HC, h) or '0') <= 0 and tonumber(redis.call('HGET', HQ, h) or '0') <= 0 then
    if redis.call('SREM', ACTIVE, h) == 1 then redis.call('LREM', RING, 1, h) end
  end
end
