-- Reads one document of a partition as it stands at one instant, for a change of shard count to copy
-- (docs/keys.md#changing-the-shard-count). Its hash and its passages' vectors are read in one step:
-- read apart, a write between them (fewer passages, a delete, an expiry) leaves a hash that names
-- elements the vector set no longer has.
-- KEYS: document hash, vector set. ARGV: document id.
-- Returns {HGETALL of the hash, then one entry per passage 0 … chunks-1: its vector as VEMB gives it
-- (the stored, dequantized one), or an empty array for a passage left out of the graph}.
-- A document that is gone (a tombstone that timed out) gives {{}}.
local doc, vset, id = KEYS[1], KEYS[2], ARGV[1]
local fields = redis.call('HGETALL', doc)
local out = {fields}
local chunks, links, deleted = 0, nil, '0'
for i = 1, #fields, 2 do
  local name, value = fields[i], fields[i + 1]
  if name == F.chunks then chunks = tonumber(value) or 0
  elseif name == F.links then links = value
  elseif name == F.deleted then deleted = value end
end
if deleted == '1' then chunks = 0 end
for i = 0, chunks - 1 do
  -- `links` says which passages are in the graph; a document written before it existed is asked for every one.
  local linked = links == nil or string.sub(links, i + 1, i + 1) == '1'
  local vector = linked and redis.call('VEMB', vset, id .. '#' .. i) or false
  out[#out + 1] = vector or {}
end
return out
