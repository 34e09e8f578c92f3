-- The engine-independent part of every partition write (docs/keys.md#index-partitions): the
-- document hash's version, metadata and tombstone, the expiry index, the epoch and the deletion
-- outbox. Prepended to both engines' upsert, delete and expire scripts, which add only what their
-- engine stores per passage (vector-set elements, or chunk hashes for the Query Engine).

-- True when the document hash already holds this or a newer version: the write is ignored.
local function is_stale(doc, version)
  local current = redis.call('HGET', doc, F.version)
  return current and tonumber(current) >= tonumber(version)
end

-- Passages the stored version has.
local function stored_passages(doc)
  return tonumber(redis.call('HGET', doc, F.chunks) or '0')
end

-- True when the stored content hash differs: a metadata-only update must be refused.
local function content_differs(doc, hash)
  return redis.call('HGET', doc, F.hash) ~= hash
end

-- Writes a live document's metadata, schedules (or clears) its expiry and changes the epoch.
local function write_document(doc, expiry, epoch, id, version, hash, source, ts, tags, passages, expires_at)
  redis.call('HSET', doc, F.version, version, F.hash, hash, F.source, source, F.ts, ts, F.tags, tags,
    F.chunks, passages, F.expires_at, expires_at, F.deleted, '0')
  redis.call('PERSIST', doc)
  if expires_at ~= '' then
    redis.call('ZADD', expiry, expires_at, id)
  else
    redis.call('ZREM', expiry, id)
  end
  redis.call('INCR', epoch)
end

-- Replaces the document hash with a tombstone that keeps its version for ttl ms (so a late, older
-- upsert stays stale; `expired` marks the retention path's), drops the expiry entry, changes the epoch.
local function write_tombstone(doc, expiry, epoch, id, version, ttl, expired)
  redis.call('DEL', doc)
  redis.call('HSET', doc, F.version, version, F.deleted, '1', F.chunks, 0)
  if expired then
    redis.call('HSET', doc, F.expired, '1')
  end
  redis.call('PEXPIRE', doc, ttl)
  redis.call('ZREM', expiry, id)
  redis.call('INCR', epoch)
end

-- True when the document still expires at `at` (ms): not updated with another expiry since the
-- sweeper picked it, nor expired by another sweeper.
local function still_due(expiry, id, at)
  local scheduled = redis.call('ZSCORE', expiry, id)
  return scheduled and tonumber(scheduled) == tonumber(at)
end

-- The server's time in Unix ms, as a string.
local function server_ms()
  local t = redis.call('TIME')
  return tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
end

-- Appends a deletion record to the partition's outbox; returns its entry id.
local function record_deletion(outbox, id, version, source, at, deleted_at)
  return redis.call('XADD', outbox, '*', 'id', id, 'version', version, 'source', source,
    'expires_at', at, 'deleted_at', deleted_at)
end

