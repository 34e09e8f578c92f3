-- Deletes one document atomically, leaving a tombstone that remembers its version.
-- KEYS: vector set, document hash, expiry index, epoch, linked copies. ARGV: id, version, tombstone TTL ms.
-- Returns 1 applied, 0 stale (same or newer version indexed).
local vset, doc, expiry, epoch, copies = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local id, version = ARGV[1], ARGV[2]
if is_stale(doc, version) then return 0 end
for i = 0, stored_passages(doc) - 1 do
  redis.call('VREM', vset, id .. '#' .. i)
end
unlink_counted(copies, doc)
write_tombstone(doc, expiry, epoch, id, version, ARGV[3], false)
return 1
