-- One alert transition, atomically: the state change, its entry on the alerts stream and its message
-- on the alerts channel. Several monitors may evaluate the same rule: only one wins a transition, so
-- each firing and each resolution is published once. A 'notice' (e.g. search_ef changed) has no
-- state: it is published as it is, the same way, so the stream entry and the message are built once.
-- KEYS: state hash, alerts stream.
-- ARGV: alert key, 'fire', 'resolve' or 'notice', now ms, cooldown ms, stream max length, channel,
--       then the entry's field/value pairs (the payload; 'since' is added here).
-- State per alert key: 'firing|<since ms>|0' or 'resolved|<since ms>|<quiet until ms>'.
-- Returns {1, since} published; {0, since} nothing to do (already firing / not firing);
--         {-1, quiet until} a firing suppressed by the cooldown after the last resolution.
local states, stream = KEYS[1], KEYS[2]
local key, transition, now, cooldown = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local state, since, quiet = 'none', 0, 0
local current = redis.call('HGET', states, key)
if current then
  local a, b, c = string.match(current, '^(%a+)|(%d+)|(%d+)$')
  if a then state, since, quiet = a, tonumber(b), tonumber(c) end
end

if transition == 'fire' then
  if state == 'firing' then return {0, since} end
  if now < quiet then return {-1, quiet} end
  since = now
  redis.call('HSET', states, key, 'firing|' .. string.format('%d', now) .. '|0')
elseif transition == 'resolve' then
  if state ~= 'firing' then return {0, since} end
  redis.call('HSET', states, key, 'resolved|' .. string.format('%d', since) .. '|' .. string.format('%d', now + cooldown))
else
  since = now
end

local fields = {}
local message = {}
for i = 7, #ARGV, 2 do
  fields[#fields + 1] = ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
  message[ARGV[i]] = ARGV[i + 1]
end
fields[#fields + 1] = 'since'
fields[#fields + 1] = string.format('%d', since)
redis.call('XADD', stream, 'MAXLEN', '~', ARGV[5], '*', unpack(fields))

-- The channel gets the same fields as JSON, with numbers as numbers and the figures as an object.
for _, name in ipairs({'value', 'threshold', 'at'}) do
  if message[name] then message[name] = tonumber(message[name]) end
end
message['since'] = since
if message['figures'] then message['figures'] = cjson.decode(message['figures']) end
redis.call('PUBLISH', ARGV[6], cjson.encode(message))
return {1, since}
