-- Shared by upsert.lua, delete.lua and expire.lua (prepended to each): the partition's exact count,
-- per vector fingerprint, of the elements its vector set links (Index:MaxDuplicatePassages).
-- Takes a document's linked passages out of that count before they are replaced or removed.
-- A document indexed before the count existed has no 'links' field and was never counted.
local function unlink_counted(copies, doc)
  local meta = redis.call('HMGET', doc, F.fps, F.links)
  local links = meta[2]
  if not links then return end
  local i = 0
  for fp in string.gmatch(meta[1] or '', '[^,]+') do
    i = i + 1
    if string.sub(links, i, i) == '1' and redis.call('HINCRBY', copies, fp, -1) <= 0 then
      redis.call('HDEL', copies, fp)
    end
  end
end

