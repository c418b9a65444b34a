-- Moves due executions from the schedule to the ready stream, at most a bounded batch.
-- KEYS[1] schedule, KEYS[2] ready stream, KEYS[3] events channel.
-- ARGV[1] batch limit, ARGV[2] execution record key prefix. Due means due by Redis's clock.
-- Returns {moved, ms until the earliest remaining due time (0: due already) or false}.
local now = now_ms()
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, key in ipairs(due) do
  local record = ARGV[2] .. key
  local current = redis.call('HMGET', record, F_STATE, F_WATCHED)
  if tonumber(current[1]) == S_SCHEDULED then
    local entry = redis.call('XADD', KEYS[2], '*', E_KEY, key)
    redis.call('HSET', record, F_STATE, S_QUEUED, F_ENTRY, entry)
    if current[2] then
      redis.call('PUBLISH', KEYS[3], cmsgpack.pack({key, S_QUEUED}))
    end
  end
end
if #due > 0 then
  redis.call('ZREM', KEYS[1], unpack(due))
end
local earliest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if not earliest[2] then
  return {#due, false}
end
-- How long until then, by Redis's clock: a worker whose clock is off sleeps the right time.
return {#due, math.max(0, tonumber(earliest[2]) - now)}
