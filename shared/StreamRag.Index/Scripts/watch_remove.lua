-- Removes one watch, or every expired watch of the tenant when ARGV[1] is empty.
-- KEYS: 1 watch vector set, 2 expiry index, 3 thresholds
-- ARGV: 1 id ('' = the expired ones), 2 now (ms), 3 most to remove
-- Returns how many live watches were removed (an id already expired counts 0).
if ARGV[1] ~= '' then
  local expires = redis.call('ZSCORE', KEYS[2], ARGV[1])
  redis.call('VREM', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
  if expires and tonumber(expires) > tonumber(ARGV[2]) then return 1 end
  return 0
end
local expired = redis.call('ZRANGE', KEYS[2], '-inf', ARGV[2], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(expired) do
  redis.call('VREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
end
return #expired
