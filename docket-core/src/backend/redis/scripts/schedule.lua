-- Schedules a batch of executions, one atomic decision per task.
-- KEYS[1] ready stream, KEYS[2] schedule (zset of due times), KEYS[3] events channel,
-- KEYS[4] scheduler wake-up channel, KEYS[5] cancellation channel, KEYS[6] the set of
-- executions waiting for a concurrency slot, KEYS[7] the hash of retired runs, KEYS[8..] one
-- execution record per task.
-- A replaced execution's concurrency slots are freed and handed on; a running one's stay with
-- its run until it has stopped (see `retire_slots`).
-- Replacing a running execution interrupts that run, as a cancellation would (`<entry id>
-- <key>` on the cancellation channel): the replacement owns the key.
-- When the batch puts a task at the head of the schedule, schedulers are told (they may be
-- sleeping until a later due time).
-- A task with cooldown windows is admitted only if none of them is running (each is a key
-- that expires when the window ends); admitting it starts them all. One that is not admitted
-- is dropped: its record is written CANCELLED with the window's reason (unless the key is
-- pending: a dropped replacement leaves the pending execution as it was).
-- ARGV[1] record key prefix, ARGV[2] this process's clock (ms; only shown as the time a slot
-- was taken or a submission dropped), ARGV[3] execution ttl (ms); then 5 per task: key, task
-- name, argument map, due (a `Due` spec), and 'r' (replace a pending execution) or 'k' (keep
-- it) followed by its admission controls: nothing for none (a task without pays nothing for
-- them), else a MessagePack array of the
-- concurrency limits its runs must hold (as F_LIMITS stores them, packed), its cooldown
-- windows ({key, ms, reason} triples), its rate limits (as F_RATES stores them) and its
-- debounce group ({key, ms, reason}, or empty).
-- A submission in a debounce group supersedes the group's pending execution (dropped, if it is
-- still SCHEDULED and not a retry or a perpetual's next run) and is due no sooner than the window after it: one run once the
-- submissions have been quiet for the window, with the last one's arguments.
-- Returns one code per task: D_SCHEDULED, D_ALREADY_SCHEDULED or D_DROPPED.
-- Redis's clock is read only when a task is not due at once (a batch of immediate tasks
-- needs none).
local now = nil
local function clock()
  if not now then now = now_ms() end
  return now
end
local out = {}
local earliest = nil
local slots = {KEYS[1], KEYS[6], ARGV[1], tonumber(ARGV[2])}
-- The first of the cooldown windows that is still running; if none, starts them all.
local function admit(windows)
  if not windows then
    return nil
  end
  for _, window in ipairs(windows) do
    if redis.call('EXISTS', window[1]) == 1 then
      return window
    end
  end
  for _, window in ipairs(windows) do
    redis.call('SET', window[1], 1, 'PX', window[2])
  end
  return nil
end
for i = 1, #KEYS - 7 do
  local record = KEYS[i + 7]
  local b = 3 + (i - 1) * 5
  local key, task, args, spec, flags = ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4], ARGV[b + 5]
  local replace = string.byte(flags, 1) == 114 -- 'r'
  local admission = #flags > 1
  local limits, cooldowns, rates, debounce = '', nil, '', nil
  if admission then
    local controls = cmsgpack.unpack(string.sub(flags, 2))
    if #controls[1] > 0 then limits = cmsgpack.pack(controls[1]) end
    if #controls[3] > 0 then rates = cmsgpack.pack(controls[3]) end
    if #controls[2] > 0 then cooldowns = controls[2] end
    if #controls[4] > 0 then debounce = controls[4] end
  end
  local immediate = string.byte(spec, 1) == 61 -- '='
  local when
  if immediate then
    when = tonumber(string.sub(spec, 2)) or 0
  else
    when = due_at(spec, clock())
  end
  local current = redis.call('HMGET', record, F_STATE, F_GENERATION, F_WATCHED, F_ENTRY, F_LIMITS)
  local state = tonumber(current[1]) or 0
  local pending = state >= S_SCHEDULED and state <= S_RUNNING
  local closed = nil
  if not (pending and not replace) then
    closed = admit(cooldowns)
  end
  if pending and not replace then
    out[i] = D_ALREADY_SCHEDULED
  elseif closed then
    out[i] = D_DROPPED
    if not pending then
      if state ~= 0 then
        redis.call('DEL', record)
      end
      local fields = {F_STATE, S_CANCELLED, F_GENERATION, (tonumber(current[2]) or 0) + 1, F_TASK, task, F_ARGS, args, F_DUE, when, F_ATTEMPT, 1, F_ERROR, closed[3], F_ERROR_TYPE, DROPPED, F_COMPLETED, ARGV[2]}
      if current[3] then
        fields[#fields + 1] = F_WATCHED
        fields[#fields + 1] = 1
      end
      redis.call('HSET', record, unpack(fields))
      if current[3] then
        redis.call('PUBLISH', KEYS[3], cmsgpack.pack({key, S_CANCELLED, false, closed[3], DROPPED}))
      end
      expire_finished(record, ARGV[3])
    end
  else
    if debounce then
      local group = debounce
      local previous = redis.call('GET', group[1])
      if previous and previous ~= key then
        local pending = ARGV[1] .. previous
        local old = redis.call('HMGET', pending, F_STATE, F_GENERATION, F_WATCHED, F_SUCCESSOR)
        -- A retry or a perpetual's next run is never superseded (it is not a submission).
        if tonumber(old[1]) == S_SCHEDULED and not old[4] then
          redis.call('ZREM', KEYS[2], previous)
          redis.call('HSET', pending, F_STATE, S_CANCELLED, F_GENERATION, (tonumber(old[2]) or 0) + 1, F_ERROR, group[3], F_ERROR_TYPE, DROPPED, F_COMPLETED, ARGV[2])
          if old[3] then
            redis.call('PUBLISH', KEYS[3], cmsgpack.pack({previous, S_CANCELLED, false, group[3], DROPPED}))
          end
          expire_finished(pending, ARGV[3])
        end
      end
      redis.call('SET', group[1], key, 'PX', 2 * group[2])
      when = math.max(when, clock() + group[2])
      immediate = false
    end
    local generation = (tonumber(current[2]) or 0) + 1
    if state == S_SCHEDULED then
      redis.call('ZREM', KEYS[2], key)
    elseif state == S_RUNNING then
      redis.call('PUBLISH', KEYS[5], (current[4] or '') .. ' ' .. key)
    end
    if state ~= 0 then
      redis.call('DEL', record)
    end
    if current[5] then
      redis.call('SREM', KEYS[6], key)
      if state == S_RUNNING then
        retire_slots(current[5], key, current[4], KEYS[7])
      else
        release_slots(current[5], key, slots)
      end
    end
    local new_state = S_QUEUED
    if not immediate and when > clock() then
      new_state = S_SCHEDULED
    end
    -- The record remembers its live stream entry: only that delivery may run it.
    local entry = ''
    if new_state == S_QUEUED then
      entry = redis.call('XADD', KEYS[1], '*', E_KEY, key)
    else
      redis.call('ZADD', KEYS[2], when, key)
      if not earliest or when < earliest then
        earliest = when
      end
    end
    if not admission and not current[3] then
      redis.call('HSET', record, F_STATE, new_state, F_GENERATION, generation, F_ENTRY, entry, F_TASK, task, F_ARGS, args, F_DUE, when, F_ATTEMPT, 1)
    else
      local fields = {F_STATE, new_state, F_GENERATION, generation, F_ENTRY, entry, F_TASK, task, F_ARGS, args, F_DUE, when, F_ATTEMPT, 1}
      if limits ~= '' then
        fields[#fields + 1] = F_LIMITS
        fields[#fields + 1] = limits
      end
      if rates ~= '' then
        fields[#fields + 1] = F_RATES
        fields[#fields + 1] = rates
      end
      if current[3] then
        fields[#fields + 1] = F_WATCHED
        fields[#fields + 1] = 1
      end
      redis.call('HSET', record, unpack(fields))
    end
    if current[3] then
      redis.call('PUBLISH', KEYS[3], cmsgpack.pack({key, new_state}))
    end
    out[i] = D_SCHEDULED
  end
end
wake_if_first(KEYS[2], KEYS[4], earliest)
return out
