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
