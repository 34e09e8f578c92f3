-- Registers (or, for a redelivered request, re-registers) one watch of a tenant.
-- KEYS: 1 watch vector set, 2 expiry index (id -> Unix ms), 3 thresholds (id -> threshold)
-- ARGV: 1 id, 2 FP32 vector, 3 attributes JSON, 4 threshold, 5 expires at (ms), 6 now (ms), 7 most watches of the tenant, 8 quantization (Q8, NOQUANT)
-- Returns 1 added or replaced, -1 the tenant's limit is reached.
local expired = redis.call('ZRANGE', KEYS[2], '-inf', ARGV[6], 'BYSCORE', 'LIMIT', 0, 1000)
for _, id in ipairs(expired) do
  redis.call('VREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
end
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[7]) then
  return -1
end
redis.call('VADD', KEYS[1], 'FP32', ARGV[2], ARGV[1], ARGV[8], 'SETATTR', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
return 1
