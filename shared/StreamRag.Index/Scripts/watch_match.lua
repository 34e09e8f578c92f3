-- The watches one passage vector is within threshold of: one VSIM bounded by the tenant's lowest
-- threshold (EPSILON is 1 - score), with the watches' filters applied; each watch's own threshold
-- and its tags_all are checked by the caller on the attributes returned.
-- KEYS: 1 watch vector set, 2 thresholds
-- ARGV: 1 FP32 vector, 2 COUNT, 3 EF, 4 FILTER expression
local lowest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if #lowest == 0 then return {} end
local epsilon = 1 - tonumber(lowest[2]) + 0.000001
if epsilon > 1 then epsilon = 1 end
return redis.call('VSIM', KEYS[1], 'FP32', ARGV[1], 'WITHSCORES', 'WITHATTRIBS', 'EPSILON', tostring(epsilon),
  'COUNT', ARGV[2], 'EF', ARGV[3], 'FILTER', ARGV[4])
