-- Replaces one document and its chunk hashes atomically (the Query Engine indexes each hash as it
-- is written, so a search sees the old document or the new one, never a mix).
-- KEYS: document hash, expiry index, epoch, then chunk hashes 0..m-1 (m = max(old, new) chunk count
--       as the caller read it; the script refuses with -2 if the document grew since, and the caller retries).
-- ARGV: id, version, content hash, source, timestamp ms, tags (comma-joined), expires-at ms or '',
--       re-embed flag, tenant, chunk count n, then per chunk: FP32 blob, indexed text (line breaks as
--       spaces), the text as written or '' when it is the same.
-- Returns 1 applied, 0 stale (same or newer version indexed), -1 content changed (metadata-only refused),
--         -2 more old chunks than keys given.
local doc, expiry, epoch = KEYS[1], KEYS[2], KEYS[3]
local declared = #KEYS - 3
local id, version = ARGV[1], ARGV[2]
local source, ts, tags = ARGV[4], ARGV[5], ARGV[6]
if is_stale(doc, version) then return 0 end
local old = stored_passages(doc)

-- One HSET per chunk hash: the Query Engine re-indexes a hash (vector included) on every write to it.
-- An empty tag list is left out rather than indexed as an empty tag; so is the original text when
-- the indexed text is the same (the field would only repeat it).
local function drop(key, field)
  if redis.call('HEXISTS', key, field) == 1 then redis.call('HDEL', key, field) end
end

local function write(key, fields)
  table.insert(fields, 'source'); table.insert(fields, source)
  table.insert(fields, 'ts'); table.insert(fields, ts)
  if tags ~= '' then
    table.insert(fields, 'tags'); table.insert(fields, tags)
  else
    drop(key, 'tags')
  end
  redis.call('HSET', key, unpack(fields))
end

local n
if ARGV[8] == '1' then
  n = tonumber(ARGV[10])
  if math.max(old, n) > declared then return -2 end
  for i = 0, n - 1 do
    local key, original = KEYS[4 + i], ARGV[13 + 3 * i]
    local fields = {'doc', id, 'chunk', i, 'tenant', ARGV[9], 'content', ARGV[12 + 3 * i], 'vec', ARGV[11 + 3 * i]}
    if original ~= '' then
      table.insert(fields, 'text'); table.insert(fields, original)
    else
      drop(key, 'text')
    end
    write(key, fields)
  end
  for i = n, old - 1 do
    redis.call('DEL', KEYS[4 + i])
  end
else
  if content_differs(doc, ARGV[3]) then return -1 end
  n = old
  if n > declared then return -2 end
  for i = 0, n - 1 do
    write(KEYS[4 + i], {})
  end
end
write_document(doc, expiry, epoch, id, version, ARGV[3], source, ts, tags, n, ARGV[7])
return 1
