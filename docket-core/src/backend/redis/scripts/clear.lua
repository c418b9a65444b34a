-- Deletes every scheduled and queued execution; running ones are left to finish. Queued ones
-- include those waiting for a concurrency slot; slots handed to a deleted execution are freed.
-- KEYS[1] schedule, KEYS[2] ready stream, KEYS[3] the set of executions waiting for a slot.
-- ARGV[1] record key prefix, ARGV[2] consumer group, ARGV[3] this process's clock (ms).
-- Returns how many executions were removed.
local removed = 0
local freed = {}
-- Deletes the records of `keys` that are in `state`, then the collection `index` listing them.
local function remove_listed(keys, state, index)
  for _, key in ipairs(keys) do
    local record = ARGV[1] .. key
    if tonumber(redis.call('HGET', record, F_STATE)) == state then
      redis.call('DEL', record)
      removed = removed + 1
    end
  end
  redis.call('DEL', index)
end
remove_listed(redis.call('ZRANGE', KEYS[1], 0, -1), S_SCHEDULED, KEYS[1])
remove_listed(redis.call('SMEMBERS', KEYS[3]), S_QUEUED, KEYS[3])
local pending = {}
local ok, summary = pcall(redis.call, 'XPENDING', KEYS[2], ARGV[2], '-', '+', 1000000)
if ok then
  for _, entry in ipairs(summary) do
    pending[entry[1]] = true
  end
end
for _, entry in ipairs(redis.call('XRANGE', KEYS[2], '-', '+')) do
  if not pending[entry[1]] then
    local fields = entry[2]
    local key = nil
    for j = 1, #fields, 2 do
      if fields[j] == E_KEY then key = fields[j + 1] end
    end
    if key then
      local current = redis.call('HMGET', ARGV[1] .. key, F_STATE, F_LIMITS)
      if tonumber(current[1]) == S_QUEUED then
        redis.call('DEL', ARGV[1] .. key)
        removed = removed + 1
        if current[2] then freed[#freed + 1] = {key, current[2]} end
      end
    end
    redis.call('XDEL', KEYS[2], entry[1])
  end
end
-- Every waiter is gone now, so a freed slot goes to nobody: the limits just shrink.
for _, held in ipairs(freed) do
  release_slots(held[2], held[1], {KEYS[2], KEYS[3], ARGV[1], tonumber(ARGV[3])})
end
return removed
