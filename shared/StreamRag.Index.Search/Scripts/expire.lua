-- Deletes a document and its chunk hashes for the retention sweeper, atomically, only if it still
-- expires at the instant the sweeper picked (an update with a later expiry, or another sweeper, got there first otherwise).
-- KEYS: document hash, expiry index, epoch, then chunk hashes 0..m-1 (m = chunk count the caller read).
-- ARGV: id, expires-at ms, tombstone TTL ms.
-- Returns 1 deleted, 0 not (changed or gone), -2 more chunks than keys given (caller retries).
local doc, expiry, epoch = KEYS[1], KEYS[2], KEYS[3]
local id = ARGV[1]
local scheduled = redis.call('ZSCORE', expiry, id)
if not scheduled or tonumber(scheduled) ~= tonumber(ARGV[2]) then return 0 end
local version = redis.call('HGET', doc, 'version') or '0'
local old = tonumber(redis.call('HGET', doc, 'chunks') or '0')
if old > #KEYS - 3 then return -2 end
for i = 0, old - 1 do
  redis.call('DEL', KEYS[4 + i])
end
redis.call('DEL', doc)
-- The tombstone keeps the version, so a replay of the expired upsert does not bring it back.
redis.call('HSET', doc, 'version', version, 'deleted', '1', 'chunks', 0, 'expired', '1')
redis.call('PEXPIRE', doc, ARGV[3])
redis.call('ZREM', expiry, id)
redis.call('INCR', epoch)
return 1
