-- claim: ARGV[i0…i0+6] are the consumer, max, the per-host bound, the
-- default delay (ms), the claim timeout (ms), reclaim ('1': look for
-- timed-out claims) and now (ms, the caller's clock). It returns {wait
-- ms or -1, outstanding, {id, item, …}}.
local function claim(i0)
local consumer, max, perHost, defDelay = ARGV[i0], tonumber(ARGV[i0+1]), tonumber(ARGV[i0+2]), ARGV[i0+3]
local timeout, reclaim, now = tonumber(ARGV[i0+4]), ARGV[i0+5] == '1', tonumber(ARGV[i0+6])
-- The hosts with work, in turn: each visited one goes to the ring's tail.
-- A call visits a bounded number of them (more while it finds nothing).
local n = redis.call('LLEN', RING)
local bound = math.max(64, 4 * max)
local out = {}
local got = 0
local wait = -1
local j = 0
while j < n and got < max and (j < bound or (got == 0 and j < 8 * bound)) do
  local h = redis.call('LMOVE', RING, RING, 'LEFT', 'RIGHT')
  j = j + 1
  local q, ct = P .. 'q:' .. h, P .. 'ct:' .. h
  local claimed = tonumber(redis.call('HGET', HC, h) or '0')
  if claimed > 0 and reclaim then
    -- Claims without a claim time (made by a worker from before claim
    -- times were kept) are timed from now on.
    if redis.call('ZCARD', ct) < claimed then
      for _, p in ipairs(redis.call('XPENDING', q, 'w', '-', '+', claimed)) do
        redis.call('ZADD', ct, 'NX', now, p[1])
      end
    end
    -- Claims made at least the timeout before now (their worker died)
    -- are taken over; a worker left holding nothing of the host leaves
    -- its group.
    local old = redis.call('ZRANGE', ct, '-inf', now - timeout, 'BYSCORE', 'LIMIT', 0, max - got)
    if #old > 0 then
      local owners, known = {}, {}
      for _, id in ipairs(old) do
        local p = redis.call('XPENDING', q, 'w', id, id, 1)[1]
        if p and p[2] ~= consumer and not known[p[2]] then
          known[p[2]] = true
          owners[#owners + 1] = p[2]
        end
      end
      redis.call('ZREM', ct, unpack(old))
      local times = {}
      for _, e in ipairs(redis.call('XCLAIM', q, 'w', consumer, 0, unpack(old))) do
        if e[2] then
          out[#out + 1] = e[1]
          out[#out + 1] = e[2][2]
          got = got + 1
          times[#times + 1] = now
          times[#times + 1] = e[1]
        end
      end
      if #times > 0 then redis.call('ZADD', ct, unpack(times)) end
      for _, o in ipairs(owners) do
        if #redis.call('XPENDING', q, 'w', '-', '+', 1, o) == 0 then
          redis.call('XGROUP', 'DELCONSUMER', q, 'w', o)
        end
      end
    end
  end
  local queued = tonumber(redis.call('HGET', HQ, h) or '0')
  if queued > 0 and claimed < perHost and got < max then
    local nxt = tonumber(redis.call('HGET', P .. 'hn', h) or '0')
    if nxt > now then
      if wait < 0 or nxt - now < wait then wait = nxt - now end
    else
      local d = tonumber(redis.call('HGET', P .. 'hd', h) or defDelay)
      local k = math.min(perHost - claimed, max - got, queued)
      if d > 0 then k = 1 end
      local r = redis.call('XREADGROUP', 'GROUP', 'w', consumer, 'COUNT', k, 'STREAMS', q, '>')
      local m = 0
      local times = {}
      if r then
        for _, e in ipairs(r[1][2]) do
          out[#out + 1] = e[1]
          out[#out + 1] = e[2][2]
          m = m + 1
          times[#times + 1] = now
          times[#times + 1] = e[1]
        end
      end
      got = got + m
      if m > 0 then
        redis.call('ZADD', ct, unpack(times))
        redis.call('HINCRBY', HC, h, m)
        redis.call('HINCRBY', HQ, h, -m)
        if d > 0 then
          redis.call('HSET', P .. 'hn', h, now + d)
          if wait < 0 or d < wait then wait = d end
        end
      end
    end
  end
end
if j < n and got == 0 then wait = -1 end -- hosts not visited may be ready: poll
return {wait, tonumber(redis.call('GET', OUT) or '0'), out}
end
