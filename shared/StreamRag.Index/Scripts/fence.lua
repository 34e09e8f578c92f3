-- Prepended to every write script of a partition. The caller puts the partition's fence key first
-- in KEYS and the layout number it writes under first in ARGV (both are taken off, so the script
-- proper sees its own arguments). A partition fenced at a later layout (a change of shard count has
-- begun or ended) refuses the write: the caller re-reads the layout and writes where it now says.
local fence_key, layout_number = table.remove(KEYS, 1), tonumber(table.remove(ARGV, 1))
local fence = tonumber(redis.call('GET', fence_key) or '0')
if layout_number < fence then
  return redis.error_reply('LAYOUT partition ' .. fence_key .. ' takes writes under layout ' .. fence .. ' or later, not ' .. layout_number)
end

