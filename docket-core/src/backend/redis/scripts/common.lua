-- Helpers shared by every script: this file is prepended to each one when it is compiled in.

-- Acknowledges and deletes stream entries, in chunks (unpack has a stack limit).
local function ack_and_delete(stream, group, ids)
  for first = 1, #ids, 500 do
    local chunk = {unpack(ids, first, math.min(first + 499, #ids))}
    redis.call('XACK', stream, group, unpack(chunk))
    redis.call('XDEL', stream, unpack(chunk))
  end
end

-- Keeps a finished record for `ttl` milliseconds, or deletes it at once when `ttl` is 0.
local function expire_finished(record, ttl)
  if tonumber(ttl) > 0 then
    redis.call('PEXPIRE', record, ttl)
  else
    redis.call('DEL', record)
  end
end

-- Tells schedulers on `channel` that a task due at `earliest` (ms; nil: none was filed)
-- now heads `schedule`: they may be sleeping until a later due time.
local function wake_if_first(schedule, channel, earliest)
  if earliest then
    local head = redis.call('ZRANGE', schedule, 0, 0, 'WITHSCORES')
    if tonumber(head[2]) >= earliest then
      redis.call('PUBLISH', channel, earliest)
    end
  end
end

-- Now, in milliseconds since the Unix epoch, by Redis's clock (every client's clock may be off).
local function now_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

-- Whether `worker` has a fresh heartbeat in the registry `workers` (name -> deadline, ms).
local function is_alive(workers, worker, now)
  local deadline = redis.call('ZSCORE', workers, worker)
  return deadline and tonumber(deadline) > now
end

-- The due instant (ms) that a spec written by Rust's `Due` names: `=<ms>` now (the client's
-- clock read <ms>, kept only for display), `+<ms>` from `now`, or `@<ms>` since the epoch.
local function due_at(spec, now)
  local kind = string.sub(spec, 1, 1)
  local value = tonumber(string.sub(spec, 2)) or 0
  if kind == '@' then
    return value
  elseif kind == '=' then
    return now
  end
  return now + value
end

-- Keeps a dead letter in `stream`, counting its bytes in `counter`, and drops the oldest while
-- more than DEAD_LETTER_CAP letters or DEAD_LETTER_BYTES bytes are kept. Arguments larger
-- than DEAD_LETTER_ARGS are not kept, only their size.
local function dead_letter(stream, counter, now, key, task, args, message, type_name)
  local kept = args
  if #args > DEAD_LETTER_ARGS then kept = '' end
  local size = #key + #task + #kept + #message + #type_name + 64
  redis.call('XADD', stream, '*', D_KEY, key, D_TASK, task, D_ARGS, kept, D_ARGS_SIZE, #args, D_ERROR, message, D_ERROR_TYPE, type_name, D_AT, now, D_SIZE, size)
  local total = redis.call('INCRBY', counter, size)
  while total > DEAD_LETTER_BYTES or redis.call('XLEN', stream) > DEAD_LETTER_CAP do
    local oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1]
    if not oldest then
      redis.call('DEL', counter)
      break
    end
    local dropped = 0
    for j = 1, #oldest[2], 2 do
      if oldest[2][j] == D_SIZE then dropped = tonumber(oldest[2][j + 1]) or 0 end
    end
    redis.call('XDEL', stream, oldest[1])
    total = redis.call('DECRBY', counter, dropped)
  end
end

-- Concurrency limits. A record's F_LIMITS is a MessagePack array of {holders, waiters, max}
-- built in Rust: `holders` is a sorted set of the execution keys holding a slot, `waiters` a
-- list of `<generation>:<key>` waiting for one, first come first. A waiting execution stays
-- QUEUED with no stream entry and is a member of the docket's `waiting` set. Slots are taken
-- all or none, so no execution holds a slot while it waits for another (no deadlock); every
-- step that ends a holder's claim frees its slots in the same script and hands each one on.

-- Takes a slot of every limit for `key`, all or none; a slot handed to it already counts.
-- Returns nil when it holds them all, else the first limit that is full.
local function acquire_slots(limits, key, stamp)
  local add = {}
  for _, limit in ipairs(limits) do
    if redis.call('ZCARD', limit[1]) < limit[3] then
      add[#add + 1] = limit[1]
    elseif not redis.call('ZSCORE', limit[1], key) then
      return limit
    end
  end
  for _, holders in ipairs(add) do
    redis.call('ZADD', holders, 'NX', stamp, key)
  end
  return nil
end

-- Hands the free slots of `limit` to its waiters, first come first: a live waiter that can
-- hold all its limits gets a stream entry (it stays QUEUED, holding them, and the next
-- worker to read it starts it); one blocked by another of its limits waits there instead;
-- stale ones (cancelled, replaced, cleared) are dropped.
-- `at` names the keys: {stream, waiting set, record prefix, stamp}.
local function hand_off(limit, at)
  while true do
    local item = redis.call('LPOP', limit[2])
    if not item then
      return
    end
    local split = string.find(item, ':', 1, true)
    local key = string.sub(item, split + 1)
    local record = at[3] .. key
    local current = redis.call('HMGET', record, F_STATE, F_GENERATION, F_LIMITS)
    -- Only a waiter still in the waiting set is served (it leaves it here), so an item
    -- pushed twice, or left by a deleted record whose key waits again, is served once.
    if tonumber(current[1]) == S_QUEUED and current[2] == string.sub(item, 1, split - 1) and current[3]
      and redis.call('SREM', at[2], key) == 1 then
      local full = acquire_slots(cmsgpack.unpack(current[3]), key, at[4])
      if not full then
        redis.call('HSET', record, F_ENTRY, redis.call('XADD', at[1], '*', E_KEY, key))
      elseif full[2] == limit[2] then
        -- No slot left here (its own max is lower): it stays first in line.
        redis.call('SADD', at[2], key)
        redis.call('LPUSH', limit[2], item)
        return
      else
        redis.call('SADD', at[2], key)
        redis.call('RPUSH', full[2], item)
      end
    end
  end
end

-- Frees the slots `key` holds of the limits packed in `packed` (nil or '': none), handing
-- each freed one on (see `hand_off` for `at`).
local function release_slots(packed, key, at)
  if not packed or packed == '' then
    return
  end
  for _, limit in ipairs(cmsgpack.unpack(packed)) do
    if redis.call('ZREM', limit[1], key) == 1 then
      hand_off(limit, at)
    end
  end
end

-- Moves the slots `key` holds of the packed limits to its running delivery `entry` (as the
-- holder `\0retired:<entry>`, which no execution key passes for by accident) when the
-- execution is cancelled or replaced while it runs: the key is free for a new execution at
-- once, but the interrupted run keeps its slots until it has stopped (its outcome arrives, or
-- its delivery is found stale), so a limit is never exceeded.
-- `retired` is the hash of such runs: entry id -> packed limits.
local function retire_slots(packed, key, entry, retired)
  if not packed or packed == '' or not entry or entry == '' then
    return
  end
  local moved = false
  for _, limit in ipairs(cmsgpack.unpack(packed)) do
    local since = redis.call('ZSCORE', limit[1], key)
    if since then
      redis.call('ZREM', limit[1], key)
      redis.call('ZADD', limit[1], since, '\0retired:' .. entry)
      moved = true
    end
  end
  if moved then
    redis.call('HSET', retired, entry, packed)
  end
end

-- Frees the slots of the retired run of delivery `entry`, if it is one (see `retire_slots`),
-- and hands them on (see `hand_off` for `at`).
local function free_retired(entry, retired, at)
  local packed = redis.call('HGET', retired, entry)
  if packed then
    redis.call('HDEL', retired, entry)
    release_slots(packed, '\0retired:' .. entry, at)
  end
end

-- Removes a record's progress (a run's, kept only while it runs) when `present` (the record's
-- F_PROGRESS_CURRENT, read by the caller) says it has any: a run that reported none costs
-- nothing here.
local function clear_progress(record, present)
  if present then
    redis.call('HDEL', record, F_PROGRESS_CURRENT, F_PROGRESS_TOTAL, F_PROGRESS_MESSAGE)
  end
end
