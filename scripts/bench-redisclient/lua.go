// Code copied from crawl/frontier_redis.go (commit 3be278c): the Lua of the
// Redis frontier's Complete step, the workload of this benchmark. Keep it in
// step with the frontier by copying again; nothing here is generated.

package main

// luaPush is crawl's luaPush.
const luaPush = `
local P = ARGV[1]
local SEEN, OUT, HQ, HC = P .. 'seen', P .. 'out', P .. 'hq', P .. 'hc'
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
local function push(i0)
  local max, n = tonumber(ARGV[i0]), tonumber(ARGV[i0+1])
  if n == 0 then return {0, 0, 0} end
  local keys = {}
  for i = 0, n - 1 do keys[i + 1] = ARGV[i0+2+3*i] end
  local member = many('SMISMEMBER', SEEN, keys)
  local out = 0
  if max > 0 then out = tonumber(redis.call('GET', OUT) or '0') end
  local added, dup, dropped = 0, 0, 0
  local new, batch, hosts, per, qs = {}, {}, {}, {}, {}
  for i = 0, n - 1 do
    local k, h, item = keys[i + 1], ARGV[i0+3+3*i], ARGV[i0+4+3*i]
    if member[i + 1] == 1 or batch[k] then
      dup = dup + 1
    elseif max > 0 and out + added >= max then
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
    end
  end
  if added > 0 then
    many('SADD', SEEN, new)
    redis.call('INCRBY', OUT, added)
  end
  for _, h in ipairs(hosts) do
    redis.call('HINCRBY', HQ, h, per[h])
    if redis.call('SADD', ACTIVE, h) == 1 then redis.call('RPUSH', RING, h) end
  end
  return {added, dup, dropped}
end
-- finish acknowledges and deletes entries of host h's stream; it returns
-- how many were still claimed (an entry completed before counts 0: every
-- acknowledgement deletes its entry in the same script).
local function finish(h, ids) -- at most maxCompletionBatch ids
  local q = P .. 'q:' .. h
  local a = redis.call('XACK', q, 'w', unpack(ids))
  if a == 0 then
    return 0
  end
  redis.call('XDEL', q, unpack(ids))
  local c = redis.call('HINCRBY', HC, h, -a)
  if c <= 0 and tonumber(redis.call('HGET', HQ, h) or '0') <= 0 then
    if redis.call('SREM', ACTIVE, h) == 1 then redis.call('LREM', RING, 1, h) end
  end
  return a
end
`

// luaCompleteFn is crawl's luaComplete.
const luaCompleteFn = `
local function complete(i0)
local n = tonumber(ARGV[i0])
local pr = push(i0 + 1 + 4 * n)
-- The records of URLs without one yet, in one entry of the results
-- stream ('r', record, 'r', record, …), their keys added to done.
local keys = {}
for i = 0, n - 1 do keys[i + 1] = ARGV[i0+3+4*i] end
local member = redis.call('SMISMEMBER', P .. 'done', unpack(keys))
local recs, new, batch = {}, {}, {}
local hosts, ids = {}, {}
for i = 0, n - 1 do
  local h, id, k, rec = ARGV[i0+1+4*i], ARGV[i0+2+4*i], keys[i + 1], ARGV[i0+4+4*i]
  if rec ~= '' and member[i + 1] == 0 and not batch[k] then
    batch[k] = true
    new[#new + 1] = k
    recs[#recs + 1] = 'r'
    recs[#recs + 1] = rec
  end
  if ids[h] == nil then
    ids[h] = {}
    hosts[#hosts + 1] = h
  end
  local l = ids[h]
  l[#l + 1] = id
end
if #new > 0 then
  redis.call('SADD', P .. 'done', unpack(new))
  redis.call('XADD', P .. 'results', '*', unpack(recs))
end
local acked = 0
for _, h in ipairs(hosts) do acked = acked + finish(h, ids[h]) end
if acked > 0 then redis.call('DECRBY', OUT, acked) end
return {pr[1], pr[2], pr[3], #new}
end
`

// luaComplete is crawl's redisComplete: ARGV: P, n, then host, entry ID,
// key, record per page, then the push arguments of all their links.
const luaComplete = luaPush + luaCompleteFn + `return complete(2)`
