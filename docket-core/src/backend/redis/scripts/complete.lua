-- Records a batch of one worker's outcomes: state, result or error, successor, event; then
-- acknowledges and deletes the deliveries that no live run owns any more.
-- KEYS[1] ready stream, KEYS[2] schedule, KEYS[3] dead letters, KEYS[4] events channel,
-- KEYS[5] scheduler wake-up channel, KEYS[6] dead-letter byte count, KEYS[7] the set of
-- executions waiting for a concurrency slot, KEYS[8] the hash of retired runs, KEYS[9..] one
-- execution record per outcome. The outcome of a run that was cancelled or replaced while it
-- ran frees the slots it kept (see `retire_slots`).
-- ARGV[1] consumer group, ARGV[2] execution ttl (ms), ARGV[3] worker, ARGV[4] the worker's
-- clock (ms), only for the end time a record shows (due times are decided by Redis's clock,
-- read only when an outcome puts an execution back), ARGV[5] record key prefix; then 7 per
-- outcome: entry id, key, kind, a, b, c, d. Every recorded outcome frees the run's
-- concurrency slots and hands them on; d is the next run's packed limits for a requeue whose
-- new arguments change them ('' keeps them). Kinds:
-- O_COMPLETED (a = result), O_FAILED (a = message, b = type), O_DEAD_LETTER (same),
-- O_CANCELLED (same: ended unrun, CANCELLED with that reason, its start not counted against
-- its rate limits),
-- O_REQUEUE (a = due spec, b = attempt, c = the next run's arguments or '' to keep them: a
-- retry or a perpetual chain's next run), O_POSTPONE (a = due spec; due time and attempt
-- kept), O_SKIPPED (a = due spec, b = 1, c = '': a requeue of a chain's run skipped unrun,
-- its start not counted against its rate limits), O_INTERRUPTED (nothing written).
-- Every recorded outcome removes the run's progress.
-- A delivery is the live run of its record while the record is RUNNING and points at it.
-- Its outcome is written only by the worker that holds it; an outcome of a delivery another
-- worker took over is ignored entirely (that worker will finish it), and an interrupted live
-- run is left pending so it is redelivered after its lease.
local stamp = tonumber(ARGV[4])
local now = nil
local function clock()
  if not now then now = now_ms() end
  return now
end
local ttl = tonumber(ARGV[2])
local ids = {}
local earliest = nil
local slots = {KEYS[1], KEYS[7], ARGV[5], stamp}
-- Takes back the start of delivery `id` from the rate limits `rates` (packed, or nil).
local function uncount_start(rates, id)
  if rates then
    for _, rate in ipairs(cmsgpack.unpack(rates)) do
      redis.call('ZREM', rate[1], id)
    end
  end
end
for i = 1, #KEYS - 8 do
  local record = KEYS[i + 8]
  local b = 5 + (i - 1) * 7
  local id, key, kind, a, bb, c, d = ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4], ARGV[b + 5], ARGV[b + 6], ARGV[b + 7]
  local current = redis.call('HMGET', record, F_STATE, F_ENTRY, F_WATCHED, F_GENERATION, F_WORKER, F_LIMITS, F_RATES, F_PROGRESS_CURRENT)
  local live = tonumber(current[1]) == S_RUNNING and current[2] == id
  if not live then
    ids[#ids + 1] = id
    free_retired(id, KEYS[8], slots)
  elseif current[5] == ARGV[3] and kind ~= O_INTERRUPTED then
    ids[#ids + 1] = id
    -- The run's progress ends with it, whatever comes next (a retry starts from nothing).
    clear_progress(record, current[8])
    local watched = current[3]
    if kind == O_COMPLETED then
      redis.call('HSET', record, F_STATE, S_COMPLETED, F_RESULT, a, F_COMPLETED, stamp)
      if watched then
        -- A large result is not pushed to every subscriber: waiters read it from the record.
        if #a <= MAX_EVENT_RESULT then
          redis.call('PUBLISH', KEYS[4], cmsgpack.pack({key, S_COMPLETED, a}))
        else
          redis.call('PUBLISH', KEYS[4], cmsgpack.pack({key, S_COMPLETED}))
        end
      end
      expire_finished(record, ttl)
    elseif kind == O_CANCELLED then
      uncount_start(current[7], id)
      redis.call('HSET', record, F_STATE, S_CANCELLED, F_ERROR, a, F_ERROR_TYPE, bb, F_COMPLETED, stamp)
      if watched then redis.call('PUBLISH', KEYS[4], cmsgpack.pack({key, S_CANCELLED, false, a, bb})) end
      expire_finished(record, ttl)
    elseif kind == O_FAILED or kind == O_DEAD_LETTER then
      redis.call('HSET', record, F_STATE, S_FAILED, F_ERROR, a, F_ERROR_TYPE, bb, F_COMPLETED, stamp)
      if watched then redis.call('PUBLISH', KEYS[4], cmsgpack.pack({key, S_FAILED, false, a, bb})) end
      if kind == O_DEAD_LETTER then
        local payload = redis.call('HMGET', record, F_TASK, F_ARGS)
        dead_letter(KEYS[3], KEYS[6], stamp, key, payload[1] or '', payload[2] or '', a, bb)
      end
      expire_finished(record, ttl)
    else
      if kind == O_POSTPONE or kind == O_SKIPPED then
        -- Put back unrun (released at shutdown, handed back, or a task this worker does not
        -- know), or a chain's run skipped unrun (struck): its start is not counted against
        -- its rate limits.
        uncount_start(current[7], id)
      end
      local due = due_at(a, clock())
      local next_generation = (tonumber(current[4]) or 0) + 1
      -- One write of the record: its next state, and for a requeue its due time, attempt and
      -- (for a perpetual chain's next run) its new arguments.
      local fields = {F_GENERATION, next_generation, F_DELIVERIES, 0}
      if kind == O_REQUEUE or kind == O_SKIPPED then
        fields[#fields + 1] = F_SUCCESSOR
        fields[#fields + 1] = 1
        fields[#fields + 1] = F_DUE
        fields[#fields + 1] = due
        fields[#fields + 1] = F_ATTEMPT
        fields[#fields + 1] = bb
        if c ~= '' then
          fields[#fields + 1] = F_ARGS
          fields[#fields + 1] = c
        end
        if d ~= '' then
          fields[#fields + 1] = F_LIMITS
          fields[#fields + 1] = d
        end
      end
      local state
      fields[#fields + 1] = F_ENTRY
      if due <= clock() then
        state = S_QUEUED
        fields[#fields + 1] = redis.call('XADD', KEYS[1], '*', E_KEY, key)
      else
        state = S_SCHEDULED
        fields[#fields + 1] = ''
        redis.call('ZADD', KEYS[2], due, key)
        if not earliest or due < earliest then earliest = due end
      end
      fields[#fields + 1] = F_STATE
      fields[#fields + 1] = state
      redis.call('HSET', record, unpack(fields))
      if watched then redis.call('PUBLISH', KEYS[4], cmsgpack.pack({key, state})) end
    end
    release_slots(current[6], key, slots)
  end
end
ack_and_delete(KEYS[1], ARGV[1], ids)
wake_if_first(KEYS[2], KEYS[5], earliest)
return #ids
