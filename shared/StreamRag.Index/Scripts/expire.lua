-- Deletes a document for the retention sweeper, atomically, only if it still expires at the
-- instant the sweeper picked (an update with a later expiry, or another sweeper, got there first otherwise).
-- KEYS: vector set, document hash, expiry index, epoch. ARGV: id, expires-at ms, tombstone TTL ms.
-- Returns 1 deleted, 0 not (changed or gone).
local vset, doc, expiry, epoch = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id = ARGV[1]
local scheduled = redis.call('ZSCORE', expiry, id)
if not scheduled or tonumber(scheduled) ~= tonumber(ARGV[2]) then return 0 end
local version = redis.call('HGET', doc, 'version') or '0'
local old = tonumber(redis.call('HGET', doc, 'chunks') or '0')
for i = 0, old - 1 do
  redis.call('VREM', vset, id .. '#' .. i)
end
redis.call('DEL', doc)
-- The tombstone keeps the version, so a replay of the expired upsert does not bring it back.
redis.call('HSET', doc, 'version', version, 'deleted', '1', 'chunks', 0, 'expired', '1')
redis.call('PEXPIRE', doc, ARGV[3])
redis.call('ZREM', expiry, id)
redis.call('INCR', epoch)
return 1
