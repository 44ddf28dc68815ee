-- complete: ARGV[i0] is the page count n, then host, entry ID, key and
-- record per page, then the push arguments of all their links. The
-- claims are freed first, so that the links count against the bound as
-- they would after a Done. It returns {added, duplicates, dropped,
-- stored}.
local function complete(i0)
local n = tonumber(ARGV[i0])
local keys, hosts, ids = {}, {}, {}
for i = 0, n - 1 do
  local h, id = ARGV[i0+1+4*i], ARGV[i0+2+4*i]
  keys[i + 1] = ARGV[i0+3+4*i]
  if ids[h] == nil then
    ids[h] = {}
    hosts[#hosts + 1] = h
  end
  local l = ids[h]
  l[#l + 1] = id
end
local acked = 0
for _, h in ipairs(hosts) do acked = acked + finish(h, ids[h]) end
if acked > 0 then redis.call('DECRBY', OUT, acked) end
local pr = push(i0 + 1 + 4 * n)
for _, h in ipairs(hosts) do rest(h) end
-- The records of URLs without one yet, in one entry of the results
-- stream ('r', record, 'r', record, …), their keys added to done.
local member = redis.call('SMISMEMBER', P .. 'done', unpack(keys))
local recs, new, batch = {}, {}, {}
for i = 0, n - 1 do
  local k, rec = keys[i + 1], ARGV[i0+4+4*i]
  if rec ~= '' and member[i + 1] == 0 and not batch[k] then
    batch[k] = true
    new[#new + 1] = k
    recs[#recs + 1] = 'r'
    recs[#recs + 1] = rec
  end
end
if #new > 0 then
  redis.call('SADD', P .. 'done', unpack(new))
  redis.call('XADD', P .. 'results', '*', unpack(recs))
end
return {pr[1], pr[2], pr[3], #new}
end
