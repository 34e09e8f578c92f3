-- Expires a batch of documents of one partition for the retention sweeper. Each document is deleted
-- only if it still expires at the instant the sweeper picked (an update with a later expiry, or
-- another sweeper, got there first otherwise), and its audit record is written to the partition's
-- outbox in the same step, so no document disappears without a record. The caller bounds the batch,
-- which bounds how long this script holds Redis.
-- KEYS: vector set, expiry index, epoch, outbox, linked copies, then one document hash per document.
-- ARGV: tombstone TTL ms, deleted-at ms ('' = server time), write deletion records (1/0: not for the
--       second copy of a document while the shard count changes), then per document: id, expires-at ms.
-- Returns, per document deleted: id, version, source, expires-at ms, deleted-at ms, outbox entry id.
local vset, expiry, epoch, outbox, copies = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local ttl, deletedAt, record = ARGV[1], ARGV[2], ARGV[3] == '1'
if deletedAt == '' then deletedAt = server_ms() end
local out = {}
for i = 1, #KEYS - 5 do
  local doc = KEYS[5 + i]
  local id, at = ARGV[2 + 2 * i], ARGV[3 + 2 * i]
  if still_due(expiry, id, at) then
    local meta = redis.call('HMGET', doc, F.version, F.chunks, F.source)
    local version, chunks, source = meta[1] or '0', tonumber(meta[2] or '0'), meta[3] or ''
    for c = 0, chunks - 1 do
      redis.call('VREM', vset, id .. '#' .. c)
    end
    unlink_counted(copies, doc)
    -- The tombstone keeps the version, so a replay of the expired upsert does not bring it back.
    write_tombstone(doc, expiry, epoch, id, version, ttl, true)
    local entry = record and record_deletion(outbox, id, version, source, at, deletedAt) or ''
    out[#out + 1] = id
    out[#out + 1] = version
    out[#out + 1] = source
    out[#out + 1] = at
    out[#out + 1] = deletedAt
    out[#out + 1] = entry
  end
end
return out
