-- Raises a partition's fence to a layout generation, never lowers it (fence.lua checks writes against it).
-- KEYS[1] the partition's fence key; ARGV[1] the generation
if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 0
