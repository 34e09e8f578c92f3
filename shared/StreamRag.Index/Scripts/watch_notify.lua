-- Appends one notification unless this watch, document version and passage were notified already
-- (a redelivered event): the check and the append are one step.
-- KEYS: 1 the notify_to stream, 2 its hash of notifications made (same hash slot)
-- ARGV: 1 MAXLEN ~, 2 seconds a notification is remembered, 3 its key (watch|doc|version|chunk), 4.. the entry's fields and values
-- Returns 1 appended, 0 already notified.
if redis.call('HSETNX', KEYS[2], ARGV[3], '1') == 0 then return 0 end
redis.call('HEXPIRE', KEYS[2], ARGV[2], 'FIELDS', 1, ARGV[3])
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 4))
return 1
