-- Starts deliveries for a worker: marks the live ones RUNNING and returns them; acknowledges
-- and deletes stale ones (replaced, cancelled, expired) so they never run; fails and
-- dead-letters one delivered too many times without finishing (it keeps killing workers).
-- Where the entries come from (ARGV[7], the mode):
--   'read'  : up to ARGV[8] new deliveries, read here (one round trip under load);
--   'sweep' : deliveries idle for ARGV[8] ms among the next ARGV[10] pending after cursor
--             ARGV[9], taken over here from dead holders (atomic with the start, so the old
--             holder cannot renew in between);
--   'given' : the entries in ARGV[8..] (id, key pairs) that a blocking read delivered to
--             this worker; a RUNNING one is accepted only if it is this worker's (a retry);
--   'due'   : up to ARGV[8] scheduled executions due by Redis's clock are moved here, then up
--             to ARGV[8] new deliveries are read as in 'read'. A moved execution gets its
--             stream entry and is read at once when nothing older waits, so it starts with a
--             pending delivery (a lease) like any other, in one write of its record; one not
--             read, or not started, is left QUEUED with its entry (as `move_due.lua` would).
-- A QUEUED execution with concurrency limits starts only if it can hold a slot of each; else
-- its delivery ends here and it waits, still QUEUED, in the waiters of a full limit until a
-- freed slot is handed to it (see `hand_off`). A RUNNING one (taken over, or this worker's
-- retry) keeps the slots it holds.
-- KEYS[1] ready stream, KEYS[2] events channel, KEYS[3] dead letters, KEYS[4] workers,
-- KEYS[5] dead-letter byte count, KEYS[6] the set of executions waiting for a slot,
-- KEYS[7] schedule, KEYS[8] scheduler wake-up channel, KEYS[9] the hash of retired runs: a
-- stale delivery (of a run cancelled or replaced while it ran, whose worker stopped) frees the
-- slots its run kept.
-- A QUEUED execution with rate limits starts only if each allows a start now (by Redis's
-- clock); else its delivery ends here and it is filed SCHEDULED at the instant the limit
-- allows one, or dropped (CANCELLED with the reason) when the limit drops and it is neither a
-- retry nor a perpetual's next run. Rate limits are checked before concurrency limits, and a
-- start is counted only when the execution starts.
-- ARGV[1] consumer group, ARGV[2] worker, ARGV[3] record key prefix, ARGV[4] execution ttl
-- (ms), ARGV[5] max deliveries, ARGV[6] the worker's clock (ms): only for the times a record
-- shows (started, failed); liveness is judged by Redis's clock, read only when sweeping.
-- A RUNNING execution taken over from another worker starts with no progress: its old run's
-- is removed (as it is when the execution is failed for too many deliveries).
-- A delivery is live only if its entry is the one the record points at: stream entry ids are
-- never reused, so an old delivery never runs a replaced or rescheduled execution.
-- Returns {next sweep cursor or false, {{id, key, task, args, attempt, due, generation}...},
-- ('due' mode) ms until the earliest execution still scheduled is due (0: due already) or
-- false}.
local stamp = tonumber(ARGV[6])
local redis_now = nil
local function redis_clock()
  if not redis_now then redis_now = now_ms() end
  return redis_now
end
-- The first packed rate limit that allows no start now, and the instant it allows one.
local function rate_blocked(rates)
  local now = redis_clock()
  for _, rate in ipairs(rates) do
    redis.call('ZREMRANGEBYSCORE', rate[1], '-inf', now - rate[3])
    if redis.call('ZCARD', rate[1]) >= rate[2] then
      local oldest = redis.call('ZRANGE', rate[1], 0, 0, 'WITHSCORES')
      return rate, tonumber(oldest[2]) + rate[3]
    end
  end
  return nil
end
local mode = ARGV[7]
local cursor = false
local entries = {}
-- The fields of a record that starting reads.
local function read_record(record)
  return redis.call('HMGET', record, F_STATE, F_ENTRY, F_TASK, F_ARGS, F_ATTEMPT, F_DUE, F_WATCHED, F_GENERATION, F_DELIVERIES, F_WORKER, F_LIMITS, F_RATES, F_SUCCESSOR, F_PROGRESS_CURRENT)
end
-- 'due' mode: the records moved here, by their new entry id, as read (with the state and
-- entry they have once queued), not written yet; and their entry ids in order.
local moved = {}
local moved_ids = {}
-- 'due' mode: ms until the earliest due time still scheduled (0: due already), or false.
local next_due = false
-- Writes a moved record QUEUED with its entry `id`, once; a no-op for any other record. (One
-- that starts here, or ends, is written once in the state it goes to instead.)
local function queue_moved(id, key)
  if moved[id] then
    redis.call('HSET', ARGV[3] .. key, F_STATE, S_QUEUED, F_ENTRY, id)
    moved[id] = nil
  end
end
local function add_entry(entry)
  if not entry then
    return
  end
  local key = false
  for j = 1, #entry[2], 2 do
    if entry[2][j] == E_KEY then key = entry[2][j + 1] end
  end
  entries[#entries + 1] = {entry[1], key}
end
if mode == 'read' then
  local read = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[8], 'STREAMS', KEYS[1], '>')
  if read then
    for _, entry in ipairs(read[1][2]) do
      add_entry(entry)
    end
  end
elseif mode == 'sweep' then
  -- Only deliveries of dead holders (no fresh heartbeat) and this worker's own are taken
  -- over: a live holder is about to renew (after an outage, say) and keeps its work.
  local start = '-'
  if ARGV[9] ~= '0-0' then start = '(' .. ARGV[9] end
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], 'IDLE', ARGV[8], start, '+', ARGV[10])
  local clock = now_ms()
  local dead = {}
  for _, item in ipairs(pending) do
    if item[2] == ARGV[2] or not is_alive(KEYS[4], item[2], clock) then
      dead[#dead + 1] = item[1]
    end
  end
  cursor = '0-0'
  if #pending >= tonumber(ARGV[10]) then cursor = pending[#pending][1] end
  if #dead > 0 then
    for _, entry in ipairs(redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[8], unpack(dead))) do
      add_entry(entry)
    end
  end
elseif mode == 'due' then
  local count = tonumber(ARGV[8])
  local now = redis_clock()
  -- The first count + 1 by due time: the due ones, and the earliest left after them.
  local head = redis.call('ZRANGE', KEYS[7], 0, count, 'WITHSCORES')
  local due = {}
  for j = 1, #head, 2 do
    local at = tonumber(head[j + 1])
    if at > now then
      next_due = at - now
      break
    elseif #due == count then
      next_due = 0
      break
    end
    due[#due + 1] = head[j]
  end
  for _, key in ipairs(due) do
    local current = read_record(ARGV[3] .. key)
    if tonumber(current[1]) == S_SCHEDULED then
      local entry = redis.call('XADD', KEYS[1], '*', E_KEY, key)
      current[1] = S_QUEUED
      current[2] = entry
      moved[entry] = current
      moved_ids[#moved_ids + 1] = {entry, key}
      if current[7] then
        redis.call('PUBLISH', KEYS[2], cmsgpack.pack({key, S_QUEUED}))
      end
    end
  end
  if #due > 0 then
    redis.call('ZREM', KEYS[7], unpack(due))
  end
  local read = redis.pcall('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', count, 'STREAMS', KEYS[1], '>')
  if type(read) == 'table' and read.err then
    -- No group (a flushed or restarted server): the moved ones stay QUEUED for the group the
    -- worker creates again.
    for _, item in ipairs(moved_ids) do
      queue_moved(item[1], item[2])
    end
    return read
  end
  if read then
    for _, entry in ipairs(read[1][2]) do
      add_entry(entry)
    end
  end
else
  for b = 8, #ARGV, 2 do
    entries[#entries + 1] = {ARGV[b], ARGV[b + 1]}
  end
end
local out = {}
local done = {}
local function start_entry(entry)
  local id, key = entry[1], entry[2]
  local record = ARGV[3] .. (key or '')
  local current = {}
  if key then
    current = moved[id] or read_record(record)
  end
  local state = tonumber(current[1])
  local live = state and (state == S_QUEUED or state == S_RUNNING) and current[2] == id
  if live and state == S_RUNNING and mode ~= 'sweep' and current[10] ~= ARGV[2] then
    -- Another worker took it over and runs it (current[10] holds its name): leave it alone.
    live = false
  elseif live then
    local deliveries = (tonumber(current[9]) or 0) + 1
    if deliveries > tonumber(ARGV[5]) then
      moved[id] = nil
      local message = 'delivered ' .. (deliveries - 1) .. ' times without finishing: the task keeps stopping its workers'
      redis.call('HSET', record, F_STATE, S_FAILED, F_ERROR, message, F_ERROR_TYPE, TOO_MANY_DELIVERIES, F_COMPLETED, stamp)
      clear_progress(record, current[14])
      dead_letter(KEYS[3], KEYS[5], stamp, key, current[3] or '', current[4] or '', message, TOO_MANY_DELIVERIES)
      if current[7] then
        redis.call('PUBLISH', KEYS[2], cmsgpack.pack({key, S_FAILED, false, message, TOO_MANY_DELIVERIES}))
      end
      expire_finished(record, ARGV[4])
      release_slots(current[11], key, {KEYS[1], KEYS[6], ARGV[3], stamp})
      done[#done + 1] = id
    else
      local rates = nil
      local rate, free_at = nil, nil
      if state == S_QUEUED and current[12] then
        rates = cmsgpack.unpack(current[12])
        rate, free_at = rate_blocked(rates)
      end
      local full = nil
      if not rate and state == S_QUEUED and current[11] then
        full = acquire_slots(cmsgpack.unpack(current[11]), key, stamp)
      end
      if rate then
        moved[id] = nil
        if rate[4] == 1 and not current[13] then
          redis.call('HSET', record, F_STATE, S_CANCELLED, F_GENERATION, (tonumber(current[8]) or 0) + 1, F_ERROR, rate[5], F_ERROR_TYPE, DROPPED, F_COMPLETED, stamp)
          if current[7] then
            redis.call('PUBLISH', KEYS[2], cmsgpack.pack({key, S_CANCELLED, false, rate[5], DROPPED}))
          end
          expire_finished(record, ARGV[4])
        else
          redis.call('HSET', record, F_STATE, S_SCHEDULED, F_ENTRY, '')
          redis.call('ZADD', KEYS[7], free_at, key)
          if current[7] then
            redis.call('PUBLISH', KEYS[2], cmsgpack.pack({key, S_SCHEDULED}))
          end
          wake_if_first(KEYS[7], KEYS[8], free_at)
          if mode == 'due' then
            local wait = math.max(0, free_at - redis_clock())
            if not next_due or wait < next_due then next_due = wait end
          end
        end
        -- A slot handed to it while it waited goes on to the next waiter.
        release_slots(current[11], key, {KEYS[1], KEYS[6], ARGV[3], stamp})
        done[#done + 1] = id
      elseif full then
        -- Blocked: it waits behind the first full limit, without a delivery.
        queue_moved(id, key)
        redis.call('RPUSH', full[2], current[8] .. ':' .. key)
        redis.call('SADD', KEYS[6], key)
        done[#done + 1] = id
      else
        if rates then
          for _, counted in ipairs(rates) do
            redis.call('ZADD', counted[1], redis_clock(), id)
            redis.call('PEXPIRE', counted[1], counted[3])
          end
        end
        -- A RUNNING one taken over from another worker drops the progress of its old run
        -- (this worker's own delivery may still be running here, and keeps its own).
        if current[10] ~= ARGV[2] then clear_progress(record, current[14]) end
        if moved[id] then
          moved[id] = nil
          redis.call('HSET', record, F_STATE, S_RUNNING, F_ENTRY, id, F_WORKER, ARGV[2], F_STARTED, stamp, F_DELIVERIES, deliveries)
        else
          redis.call('HSET', record, F_STATE, S_RUNNING, F_WORKER, ARGV[2], F_STARTED, stamp, F_DELIVERIES, deliveries)
        end
        if current[7] then
          redis.call('PUBLISH', KEYS[2], cmsgpack.pack({key, S_RUNNING}))
        end
        out[#out + 1] = {id, key, current[3], current[4], current[5], current[6], current[8]}
      end
    end
  else
    if not key then
      -- Not written by docket: keep it for inspection rather than drop it silently.
      dead_letter(KEYS[3], KEYS[5], stamp, '', '', '', 'stream entry ' .. id .. ' names no execution key', MALFORMED_ENTRY)
    end
    free_retired(id, KEYS[9], {KEYS[1], KEYS[6], ARGV[3], stamp})
    done[#done + 1] = id
  end
end
for _, entry in ipairs(entries) do
  local ok, err = pcall(start_entry, entry)
  if not ok then
    -- Redis keeps what a failed script wrote: the executions moved here and not written yet
    -- must not stay SCHEDULED outside the schedule. They wait QUEUED in the stream.
    for _, item in ipairs(moved_ids) do
      queue_moved(item[1], item[2])
    end
    error(err)
  end
end
-- Moved but not read (older deliveries came first): they wait in the stream.
for _, item in ipairs(moved_ids) do
  queue_moved(item[1], item[2])
end
ack_and_delete(KEYS[1], ARGV[1], done)
return {cursor, out, next_due}
