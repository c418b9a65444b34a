-- Writes the progress of a running delivery into its record, and publishes it when someone
-- watches the execution: only while the record is RUNNING, points at the delivery and names
-- the writing worker, so a run that ended, was cancelled, replaced or taken over writes
-- nothing. Each write carries the whole progress (they are coalesced in the worker).
-- KEYS[1] record, KEYS[2] events channel.
-- ARGV[1] entry id, ARGV[2] worker, ARGV[3] key, ARGV[4] units done, ARGV[5] units in all
-- ('' while unknown), ARGV[6] message ('' for none). Counts travel and are stored as text
-- (a Lua number would lose the precision of a large u64).
-- Returns 1 when written, 0 when the delivery is not the record's live run of this worker.
local current = redis.call('HMGET', KEYS[1], F_STATE, F_ENTRY, F_WORKER, F_WATCHED, F_PROGRESS_MESSAGE)
if tonumber(current[1]) ~= S_RUNNING or current[2] ~= ARGV[1] or current[3] ~= ARGV[2] then
  return 0
end
local fields = {F_PROGRESS_CURRENT, ARGV[4]}
local total, message = false, false
if ARGV[5] ~= '' then
  total = ARGV[5]
  fields[#fields + 1] = F_PROGRESS_TOTAL
  fields[#fields + 1] = total
end
if ARGV[6] ~= '' then
  message = ARGV[6]
  fields[#fields + 1] = F_PROGRESS_MESSAGE
  fields[#fields + 1] = message
elseif current[5] then
  redis.call('HDEL', KEYS[1], F_PROGRESS_MESSAGE)
end
redis.call('HSET', KEYS[1], unpack(fields))
if current[4] then
  redis.call('PUBLISH', KEYS[2], cmsgpack.pack({ARGV[3], V_PROGRESS, ARGV[4], total, message}))
end
return 1
