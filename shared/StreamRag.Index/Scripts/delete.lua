-- Deletes one document atomically, leaving a tombstone that remembers its version.
-- KEYS: vector set, document hash, expiry index, epoch, linked copies. ARGV: id, version, tombstone TTL ms.
-- Returns 1 applied, 0 stale (same or newer version indexed).
local vset, doc, expiry, epoch, copies = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local id, version = ARGV[1], tonumber(ARGV[2])
local current = redis.call('HGET', doc, 'version')
if current and tonumber(current) >= version then return 0 end
local old = tonumber(redis.call('HGET', doc, 'chunks') or '0')
for i = 0, old - 1 do
  redis.call('VREM', vset, id .. '#' .. i)
end
unlink_counted(copies, doc)
redis.call('DEL', doc)
redis.call('HSET', doc, 'version', ARGV[2], 'deleted', '1', 'chunks', 0)
redis.call('PEXPIRE', doc, ARGV[3])
redis.call('ZREM', expiry, id)
redis.call('INCR', epoch)
return 1
