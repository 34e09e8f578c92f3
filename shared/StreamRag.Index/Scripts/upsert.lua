-- Replaces one document atomically. KEYS: vector set, document hash, expiry index, epoch, linked copies.
-- ARGV: id, version, content hash, source, timestamp ms, tags (comma-joined), expires-at ms or '',
--       attributes JSON, re-embed flag, quantization, EF, M, chunk count, most copies of a vector,
--       then per chunk: FP32 blob ('' = store the text only, unlinked: a copy whose vector is not known), text,
--       vector fingerprint (hex; '-' with no blob).
-- Returns {1, passages left out of the graph} applied, {0} stale (same or newer version indexed),
--         {-1} content changed (metadata-only refused).
local vset, doc, expiry, epoch, copies = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local id, version = ARGV[1], ARGV[2]
if is_stale(doc, version) then return {0} end
local old = stored_passages(doc)
local attributes = ARGV[8]
local n
local unlinked = 0
local own = id .. '#'

-- Each element's attributes: the document's, plus the fingerprint of its own vector (none on a
-- document indexed before fingerprints existed) and its passage text, last, so that VSIM WITHATTRIBS
-- returns a whole hit and FILTER finds the metadata before the text (VectorSetAttributes.cs).
local function attributes_with(fp, text)
  local head = string.sub(attributes, 1, -2)
  if fp then head = head .. ',"fp":"' .. fp .. '"' end
  return head .. ',"text":' .. cjson.encode(text) .. '}'
end

if ARGV[9] == '1' then
  n = tonumber(ARGV[13])
  local maxdup = tonumber(ARGV[14])
  -- The old version's linked passages leave the graph's count first: they are being replaced.
  unlink_counted(copies, doc)

  -- A passage whose exact vector the graph already links maxdup times is stored but not linked:
  -- more identical copies close into a cluster that searches cannot leave (docs/faults.md).
  local fps, links = {}, {}
  for i = 0, n - 1 do
    local blob, text, fp = ARGV[15 + 3 * i], ARGV[16 + 3 * i], ARGV[17 + 3 * i]
    fps[i + 1] = fp
    if blob == '' or (maxdup > 0 and tonumber(redis.call('HGET', copies, fp) or '0') >= maxdup) then
      redis.call('VREM', vset, own .. i)
      unlinked = unlinked + 1
      links[i + 1] = '0'
    else
      redis.call('VADD', vset, 'FP32', blob, own .. i, ARGV[10], 'EF', ARGV[11], 'SETATTR', attributes_with(fp, text), 'M', ARGV[12])
      redis.call('HINCRBY', copies, fp, 1)
      links[i + 1] = '1'
    end
    redis.call('HSET', doc, F.passage .. i, text)
  end
  for i = n, old - 1 do
    redis.call('VREM', vset, own .. i)
    redis.call('HDEL', doc, F.passage .. i)
  end
  redis.call('HSET', doc, F.unlinked, unlinked, F.fps, table.concat(fps, ','), F.links, table.concat(links))
else
  if content_differs(doc, ARGV[3]) then return {-1} end
  n = old
  local fps = {}
  for fp in string.gmatch(redis.call('HGET', doc, F.fps) or '', '[^,]+') do table.insert(fps, fp) end
  for i = 0, n - 1 do
    -- The text is carried over from the hash: the attributes are replaced whole.
    local text = redis.call('HGET', doc, F.passage .. i) or ''
    redis.call('VSETATTR', vset, own .. i, attributes_with(fps[i + 1], text))
  end
  unlinked = tonumber(redis.call('HGET', doc, F.unlinked) or '0')
end
write_document(doc, expiry, epoch, id, version, ARGV[3], ARGV[4], ARGV[5], ARGV[6], n, ARGV[7])
return {1, unlinked}
