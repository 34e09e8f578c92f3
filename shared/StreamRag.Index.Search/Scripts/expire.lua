-- Deletes a document and its chunk hashes for the retention sweeper, atomically, only if it still
-- expires at the instant the sweeper picked (an update with a later expiry, or another sweeper, got
-- there first otherwise), and writes its audit record to the partition's outbox in the same step.
-- KEYS: document hash, expiry index, epoch, outbox, then chunk hashes 0..m-1 (m = chunk count the caller read).
-- ARGV: id, expires-at ms, tombstone TTL ms, deleted-at ms ('' = server time).
-- Returns {1, version, source, deleted-at ms, outbox entry id} deleted, {0} not (changed or gone),
-- {-2} more chunks than keys given (caller retries).
local doc, expiry, epoch, outbox = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, at, deletedAt = ARGV[1], ARGV[2], ARGV[4]
if not still_due(expiry, id, at) then return {0} end
local meta = redis.call('HMGET', doc, F.version, F.chunks, F.source)
local version, old, source = meta[1] or '0', tonumber(meta[2] or '0'), meta[3] or ''
if old > #KEYS - 4 then return {-2} end
if deletedAt == '' then deletedAt = server_ms() end
for i = 0, old - 1 do
  redis.call('DEL', KEYS[5 + i])
end
-- The tombstone keeps the version, so a replay of the expired upsert does not bring it back.
write_tombstone(doc, expiry, epoch, id, version, ARGV[3], true)
return {1, version, source, deletedAt, record_deletion(outbox, id, version, source, at, deletedAt)}
