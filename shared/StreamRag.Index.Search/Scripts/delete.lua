-- Deletes one document and its chunk hashes atomically, leaving a tombstone that remembers its version.
-- KEYS: document hash, expiry index, epoch, then chunk hashes 0..m-1 (m = chunk count the caller read).
-- ARGV: id, version, tombstone TTL ms.
-- Returns 1 applied, 0 stale (same or newer version indexed), -2 more chunks than keys given (caller retries).
local doc, expiry, epoch = KEYS[1], KEYS[2], KEYS[3]
local id, version = ARGV[1], ARGV[2]
if is_stale(doc, version) then return 0 end
local old = stored_passages(doc)
if old > #KEYS - 3 then return -2 end
for i = 0, old - 1 do
  redis.call('DEL', KEYS[4 + i])
end
write_tombstone(doc, expiry, epoch, id, version, ARGV[3], false)
return 1
