-- Appends a document's notifications for one notify_to stream, each unless its watch, document
-- version and passage were notified already (a redelivered event): check and append are one step.
-- One call per document and stream, not per match, as matches to one app's stream come together.
-- KEYS: 1 the notify_to stream, 2 its hash of notifications made (same hash slot)
-- ARGV: 1 MAXLEN ~, 2 seconds a notification is remembered, 3 fields per entry (F),
--       then per notification: its key (watch|doc|version|chunk) and F field-value pairs
-- Returns how many were appended.
local fields = tonumber(ARGV[3])
local appended = 0
local i = 4
while i <= #ARGV do
  local seen = ARGV[i]
  if redis.call('HSETNX', KEYS[2], seen, '1') == 1 then
    redis.call('HEXPIRE', KEYS[2], ARGV[2], 'FIELDS', 1, seen)
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, i + 1, i + 2 * fields))
    appended = appended + 1
  end
  i = i + 1 + 2 * fields
end
return appended
