-- Replaces one document atomically. KEYS: vector set, document hash, expiry index, epoch.
-- ARGV: id, version, content hash, source, timestamp ms, tags (comma-joined), expires-at ms or '',
--       attributes JSON, re-embed flag, quantization, EF, M, chunk count, most duplicates, duplicate
--       score, then per chunk: FP32 blob, text.
-- Returns {1, passages left out of the graph} applied, {0} stale (same or newer version indexed),
--         {-1} content changed (metadata-only refused).
local vset, doc, expiry, epoch = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, version = ARGV[1], tonumber(ARGV[2])
local current = redis.call('HGET', doc, 'version')
if current and tonumber(current) >= version then return {0} end
local old = tonumber(redis.call('HGET', doc, 'chunks') or '0')
local attributes = ARGV[8]
local n
local unlinked = 0
if ARGV[9] == '1' then
  n = tonumber(ARGV[13])
  local maxdup, minscore = tonumber(ARGV[14]), tonumber(ARGV[15])
  local own = id .. '#'

  -- True when the graph already links maxdup passages of other documents with (nearly) this vector:
  -- one more would help close them into a cluster that searches cannot leave. A cheap probe first;
  -- the full count only when the nearest vector is a near-duplicate.
  local function crowded(blob)
    if maxdup <= 0 then return false end
    local top = redis.call('VSIM', vset, 'FP32', blob, 'COUNT', 1, 'EF', 10, 'WITHSCORES')
    if not top[2] or tonumber(top[2]) < minscore then return false end
    local count = maxdup + math.max(old, n)
    local near = redis.call('VSIM', vset, 'FP32', blob, 'COUNT', count, 'EF', count, 'WITHSCORES')
    local others = 0
    for j = 1, #near, 2 do
      if tonumber(near[j + 1]) >= minscore and string.sub(near[j], 1, #own) ~= own then others = others + 1 end
    end
    return others >= maxdup
  end

  for i = 0, n - 1 do
    local blob = ARGV[16 + 2 * i]
    if crowded(blob) then
      redis.call('VREM', vset, own .. i)
      unlinked = unlinked + 1
    else
      redis.call('VADD', vset, 'FP32', blob, own .. i, ARGV[10], 'EF', ARGV[11], 'SETATTR', attributes, 'M', ARGV[12])
    end
    redis.call('HSET', doc, 'c:' .. i, ARGV[17 + 2 * i])
  end
  for i = n, old - 1 do
    redis.call('VREM', vset, own .. i)
    redis.call('HDEL', doc, 'c:' .. i)
  end
  redis.call('HSET', doc, 'unlinked', unlinked)
else
  if redis.call('HGET', doc, 'hash') ~= ARGV[3] then return {-1} end
  n = old
  for i = 0, n - 1 do
    redis.call('VSETATTR', vset, id .. '#' .. i, attributes)
  end
  unlinked = tonumber(redis.call('HGET', doc, 'unlinked') or '0')
end
redis.call('HSET', doc, 'version', ARGV[2], 'hash', ARGV[3], 'source', ARGV[4], 'ts', ARGV[5], 'tags', ARGV[6],
  'chunks', n, 'expires_at', ARGV[7], 'deleted', '0')
redis.call('PERSIST', doc)
if ARGV[7] ~= '' then
  redis.call('ZADD', expiry, ARGV[7], id)
else
  redis.call('ZREM', expiry, id)
end
redis.call('INCR', epoch)
return {1, unlinked}
