-- Removes the expired watches of a tenant (the sweeper): from its watch set and both indexes together.
-- KEYS: 1 watch vector set, 2 expiry index, 3 thresholds
-- ARGV: 1 now (ms), 2 most to remove
-- Returns how many were removed.
local expired = redis.call('ZRANGE', KEYS[2], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(expired) do
  redis.call('VREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
end
return #expired
