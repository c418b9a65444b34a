-- Schedules a batch of executions, one atomic decision per task.
-- KEYS[1] ready stream, KEYS[2] schedule (zset of due times), KEYS[3] events channel,
-- KEYS[4] scheduler wake-up channel, KEYS[5] cancellation channel, KEYS[6..] one execution
-- record per task.
-- Replacing a running execution interrupts that run, as a cancellation would (`<entry id>
-- <key>` on the cancellation channel): the replacement owns the key.
-- When the batch puts a task at the head of the schedule, schedulers are told (they may be
-- sleeping until a later due time).
-- ARGV: 5 per task: key, task name, argument map, due (a `Due` spec), replace (0/1).
-- Returns one code per task: 1 scheduled, 2 already scheduled.
local now = now_ms()
local out = {}
local earliest = nil
for i = 1, #KEYS - 5 do
  local record = KEYS[i + 5]
  local b = (i - 1) * 5
  local key, task, args, when, replace = ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], due_at(ARGV[b + 4], now), ARGV[b + 5]
  local current = redis.call('HMGET', record, 's', 'g', 'x', 'i')
  local state = tonumber(current[1]) or 0
  if state >= 1 and state <= 3 and replace ~= '1' then
    out[i] = 2
  else
    local generation = (tonumber(current[2]) or 0) + 1
    if state == 1 then
      redis.call('ZREM', KEYS[2], key)
    elseif state == 3 then
      redis.call('PUBLISH', KEYS[5], (current[4] or '') .. ' ' .. key)
    end
    if state ~= 0 then
      redis.call('DEL', record)
    end
    local new_state = 2
    if when > now then
      new_state = 1
    end
    -- The record remembers its live stream entry: only that delivery may run it.
    local entry = ''
    if new_state == 2 then
      entry = redis.call('XADD', KEYS[1], '*', 'k', key)
    else
      redis.call('ZADD', KEYS[2], when, key)
      if not earliest or when < earliest then
        earliest = when
      end
    end
    if current[3] then
      redis.call('HSET', record, 's', new_state, 'g', generation, 'i', entry, 'f', task, 'a', args, 'w', when, 'n', 1, 'x', 1)
      redis.call('PUBLISH', KEYS[3], cmsgpack.pack({key, new_state}))
    else
      redis.call('HSET', record, 's', new_state, 'g', generation, 'i', entry, 'f', task, 'a', args, 'w', when, 'n', 1)
    end
    out[i] = 1
  end
end
wake_if_first(KEYS[2], KEYS[4], earliest)
return out
