// Code copied from crawl/frontier_redis.go (commit b3558de): the Lua of the
// Redis frontier's Complete step, the workload of this benchmark. Keep it in
// step with the frontier by copying again; nothing here is generated.

package main

// luaPush is crawl's luaPush.
const luaPush = `
local P = ARGV[1]
local function push(i0)
  local max, n = tonumber(ARGV[i0]), tonumber(ARGV[i0+1])
  local out = 0
  if max > 0 then out = tonumber(redis.call('GET', P .. 'out') or '0') end
  local added, dup, dropped = 0, 0, 0
  local hosts, per = {}, {}
  for i = 0, n - 1 do
    local k, h, item = ARGV[i0+2+3*i], ARGV[i0+3+3*i], ARGV[i0+4+3*i]
    if max > 0 and redis.call('SISMEMBER', P .. 'seen', k) == 1 then
      dup = dup + 1
    elseif max > 0 and out + added >= max then
      dropped = dropped + 1
    elseif redis.call('SADD', P .. 'seen', k) == 0 then
      dup = dup + 1
    else
      local q = P .. 'q:' .. h
      if per[h] == nil then
        per[h] = 0
        hosts[#hosts + 1] = h
        if redis.call('SADD', P .. 'hosts', h) == 1 then
          redis.pcall('XGROUP', 'CREATE', q, 'w', '0', 'MKSTREAM') -- BUSYGROUP if it exists: fine
        end
      end
      redis.call('XADD', q, '*', 'i', item)
      per[h] = per[h] + 1
      added = added + 1
    end
  end
  for _, h in ipairs(hosts) do
    redis.call('HINCRBY', P .. 'hq', h, per[h])
    if redis.call('SADD', P .. 'active', h) == 1 then redis.call('RPUSH', P .. 'ring', h) end
  end
  if added > 0 then redis.call('INCRBY', P .. 'out', added) end
  return {added, dup, dropped}
end
-- finish acknowledges and deletes entries of host h's stream; it returns
-- how many were still claimed (an entry completed before counts 0: every
-- acknowledgement deletes its entry in the same script).
local function finish(h, ids)
  local q = P .. 'q:' .. h
  local a = redis.call('XACK', q, 'w', unpack(ids))
  if a == 0 then
    return 0
  end
  redis.call('XDEL', q, unpack(ids))
  local c = redis.call('HINCRBY', P .. 'hc', h, -a)
  if c <= 0 and tonumber(redis.call('HGET', P .. 'hq', h) or '0') <= 0 then
    if redis.call('SREM', P .. 'active', h) == 1 then redis.call('LREM', P .. 'ring', 1, h) end
  end
  return a
end
`

// luaComplete is crawl's redisComplete: ARGV: P, n, then host, entry ID,
// key, record per page, then the push arguments of all their links.
const luaComplete = luaPush + `
local n = tonumber(ARGV[2])
local pr = push(3 + 4 * n)
local stored = 0
local hosts, ids = {}, {}
for i = 0, n - 1 do
  local h, id, k, rec = ARGV[3+4*i], ARGV[4+4*i], ARGV[5+4*i], ARGV[6+4*i]
  if rec ~= '' and redis.call('SADD', P .. 'done', k) == 1 then
    redis.call('XADD', P .. 'results', '*', 'r', rec)
    stored = stored + 1
  end
  if ids[h] == nil then
    ids[h] = {}
    hosts[#hosts + 1] = h
  end
  local l = ids[h]
  l[#l + 1] = id
end
local acked = 0
for _, h in ipairs(hosts) do acked = acked + finish(h, ids[h]) end
if acked > 0 then redis.call('DECRBY', P .. 'out', acked) end
return {pr[1], pr[2], pr[3], stored}`
