-- Replaces one document atomically. KEYS: vector set, document hash, expiry index, epoch.
-- ARGV: id, version, content hash, source, timestamp ms, tags (comma-joined), expires-at ms or '',
--       attributes JSON, re-embed flag, quantization, EF, M, chunk count, most copies of a vector,
--       copy score floor, then per chunk: FP32 blob, text, vector fingerprint (hex).
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
local own = id .. '#'

-- Each element's attributes: the document's, plus the fingerprint of its own vector.
local function attributes_with(fp)
  return string.sub(attributes, 1, -2) .. ',"fp":"' .. fp .. '"}'
end

if ARGV[9] == '1' then
  n = tonumber(ARGV[13])
  local maxdup, floor = tonumber(ARGV[14]), tonumber(ARGV[15])

  -- True when the graph already links maxdup passages of other documents with exactly this vector
  -- (same fingerprint): one more would help close them into a cluster that searches cannot leave.
  -- A cheap probe first: of the nearest three, how many are copies (a copy scores at least `floor`:
  -- quantization keeps even an identical copy below 1, and scores unlike vectors up to 1 too, so the
  -- fingerprint decides). Identical copies score alike and above the rest, so with maxdup of them in
  -- the graph the nearest three are copies; only then are they counted, by a search filtered on it.
  local function crowded(blob, fp)
    if maxdup <= 0 then return false end
    local probe = math.min(3, maxdup)
    local top = redis.call('VSIM', vset, 'FP32', blob, 'COUNT', probe + 1, 'EF', 10, 'WITHSCORES')
    local tag, copies = '"fp":"' .. fp .. '"', 0
    for j = 1, #top, 2 do
      if string.sub(top[j], 1, #own) ~= own then
        if tonumber(top[j + 1]) < floor or not string.find(redis.call('VGETATTR', vset, top[j]) or '', tag, 1, true) then break end
        copies = copies + 1
      end
    end
    if copies < probe then return false end
    if maxdup <= probe then return true end
    local count = maxdup + math.max(old, n)
    local found = redis.call('VSIM', vset, 'FP32', blob, 'COUNT', count, 'EF', count,
      'FILTER', '.fp == "' .. fp .. '"', 'FILTER-EF', 4 * count)
    local others = 0
    for _, element in ipairs(found) do
      if string.sub(element, 1, #own) ~= own then others = others + 1 end
    end
    return others >= maxdup
  end

  local fps = {}
  for i = 0, n - 1 do
    local blob, fp = ARGV[16 + 3 * i], ARGV[18 + 3 * i]
    fps[i + 1] = fp
    if crowded(blob, fp) then
      redis.call('VREM', vset, own .. i)
      unlinked = unlinked + 1
    else
      redis.call('VADD', vset, 'FP32', blob, own .. i, ARGV[10], 'EF', ARGV[11], 'SETATTR', attributes_with(fp), 'M', ARGV[12])
    end
    redis.call('HSET', doc, 'c:' .. i, ARGV[17 + 3 * i])
  end
  for i = n, old - 1 do
    redis.call('VREM', vset, own .. i)
    redis.call('HDEL', doc, 'c:' .. i)
  end
  redis.call('HSET', doc, 'unlinked', unlinked, 'fps', table.concat(fps, ','))
else
  if redis.call('HGET', doc, 'hash') ~= ARGV[3] then return {-1} end
  n = old
  local fps = {}
  for fp in string.gmatch(redis.call('HGET', doc, 'fps') or '', '[^,]+') do table.insert(fps, fp) end
  for i = 0, n - 1 do
    -- A document indexed before fingerprints existed keeps attributes without one.
    redis.call('VSETATTR', vset, own .. i, fps[i + 1] and attributes_with(fps[i + 1]) or attributes)
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
