-- Replaces one document atomically. KEYS: vector set, document hash, expiry index, epoch.
-- ARGV: id, version, content hash, source, timestamp ms, tags (comma-joined), expires-at ms or '',
--       attributes JSON, re-embed flag, quantization, EF, M, chunk count, then per chunk: FP32 blob, text.
-- Returns 1 applied, 0 stale (same or newer version indexed), -1 content changed (metadata-only refused).
local vset, doc, expiry, epoch = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, version = ARGV[1], tonumber(ARGV[2])
local current = redis.call('HGET', doc, 'version')
if current and tonumber(current) >= version then return 0 end
local old = tonumber(redis.call('HGET', doc, 'chunks') or '0')
local attributes = ARGV[8]
local n
if ARGV[9] == '1' then
  n = tonumber(ARGV[13])
  for i = 0, n - 1 do
    redis.call('VADD', vset, 'FP32', ARGV[14 + 2 * i], id .. '#' .. i, ARGV[10], 'EF', ARGV[11], 'SETATTR', attributes, 'M', ARGV[12])
    redis.call('HSET', doc, 'c:' .. i, ARGV[15 + 2 * i])
  end
  for i = n, old - 1 do
    redis.call('VREM', vset, id .. '#' .. i)
    redis.call('HDEL', doc, 'c:' .. i)
  end
else
  if redis.call('HGET', doc, 'hash') ~= ARGV[3] then return -1 end
  n = old
  for i = 0, n - 1 do
    redis.call('VSETATTR', vset, id .. '#' .. i, attributes)
  end
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
return 1
