-- Replays one dead letter: the check, the re-post and the delete in one step, so two operators
-- replaying the same dead letter post it once.
-- KEYS[1] the dead-letter stream, KEYS[2] the stream it came from
-- ARGV[1] the dead letter's id, ARGV[2..] the original entry's fields and values
if #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) == 0 then return false end
local args = {'XADD', KEYS[2], '*'}
for i = 2, #ARGV do args[#args + 1] = ARGV[i] end
local id = redis.call(unpack(args))
redis.call('XDEL', KEYS[1], ARGV[1])
return id
