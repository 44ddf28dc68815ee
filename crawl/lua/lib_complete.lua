-- complete: ARGV[i0] is the page count n, then host, entry ID, key,
-- record and item bytes per page, then the push arguments of all their
-- links. The claims are freed first, so that the links count against
-- the bounds as they would after a Done. It returns {added, duplicates,
-- dropped, stored}.
local function complete(i0)
local n = tonumber(ARGV[i0])
local keys, hosts, ids, sizes = {}, {}, {}, {}
for i = 0, n - 1 do
  local h, id = ARGV[i0+1+5*i], ARGV[i0+2+5*i]
  keys[i + 1] = ARGV[i0+3+5*i]
  if ids[h] == nil then
    ids[h] = {}
    sizes[h] = {}
    hosts[#hosts + 1] = h
  end
  local l = ids[h]
  l[#l + 1] = id
  local z = sizes[h]
  z[#z + 1] = ARGV[i0+5+5*i]
end
local acked, ackedb = 0, 0
for _, h in ipairs(hosts) do
  local a, b = finish(h, ids[h], sizes[h])
  acked, ackedb = acked + a, ackedb + b
end
if acked > 0 then
  redis.call('DECRBY', OUT, acked)
  redis.call('DECRBY', OUTB, ackedb)
end
local pr = push(i0 + 1 + 5 * n)
for _, h in ipairs(hosts) do rest(h) end
-- The records of URLs without one yet, in one entry of the results
-- stream ('r', record, 'r', record, …), their keys added to done.
local member = redis.call('SMISMEMBER', P .. 'done', unpack(keys))
local recs, new, batch = {}, {}, {}
for i = 0, n - 1 do
  local k, rec = keys[i + 1], ARGV[i0+4+5*i]
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
