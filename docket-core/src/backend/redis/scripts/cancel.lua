-- Cancels one execution in any live state. A queued delivery left in the stream becomes stale
-- (the record is no longer queued); a running one is interrupted through the cancellation
-- channel.
-- A running one's progress is removed.
-- Its concurrency slots (a run's, or one handed to it) are freed and handed on; one waiting
-- for a slot leaves the waiting set (its waiter entry is stale and dropped when reached).
-- KEYS[1] schedule, KEYS[2] events channel, KEYS[3] cancellation channel, KEYS[4] record,
-- KEYS[5] ready stream, KEYS[6] the set of executions waiting for a concurrency slot,
-- KEYS[7] the hash of retired runs (see `retire_slots`): a running execution's slots stay
-- with its run until it has stopped.
-- ARGV[1] key, ARGV[2] execution ttl (ms), ARGV[3] record key prefix.
-- Publishes `<entry id> <key>` on the cancellation channel for a running execution.
-- Returns the state the execution was in, or 0 when it was not live.
local current = redis.call('HMGET', KEYS[4], F_STATE, F_GENERATION, F_WATCHED, F_ENTRY, F_LIMITS, F_PROGRESS_CURRENT)
local state = tonumber(current[1])
if not state or state > S_RUNNING then
  return 0
end
if state == S_SCHEDULED then
  redis.call('ZREM', KEYS[1], ARGV[1])
end
local now = now_ms()
redis.call('HSET', KEYS[4], F_STATE, S_CANCELLED, F_GENERATION, tonumber(current[2]) + 1, F_COMPLETED, now)
clear_progress(KEYS[4], current[6])
if state == S_RUNNING then
  redis.call('PUBLISH', KEYS[3], current[4] .. ' ' .. ARGV[1])
end
if current[3] then
  redis.call('PUBLISH', KEYS[2], cmsgpack.pack({ARGV[1], S_CANCELLED}))
end
expire_finished(KEYS[4], ARGV[2])
if current[5] then
  redis.call('SREM', KEYS[6], ARGV[1])
  if state == S_RUNNING then
    retire_slots(current[5], ARGV[1], current[4], KEYS[7])
  else
    release_slots(current[5], ARGV[1], {KEYS[5], KEYS[6], ARGV[3], now})
  end
end
return state
