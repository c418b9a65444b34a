-- Deletes one bounded batch of scheduled and queued executions; running ones are left to
-- finish, and strike rules are kept. Called again and again by the client until it reports
-- that nothing is left, so Redis is never blocked for the whole backlog: first the schedule,
-- then the executions waiting for a concurrency slot, then the ready stream (read from a
-- cursor, so entries of running executions are passed over once). Slots held by a deleted
-- execution (one a slot was handed to) are freed and handed on to a waiter that is still live.
-- KEYS[1] schedule, KEYS[2] ready stream, KEYS[3] the set of executions waiting for a slot.
-- ARGV[1] record key prefix, ARGV[2] this process's clock (ms), ARGV[3] the most executions
-- looked at, ARGV[4] the phase (1 schedule, 2 waiting, 3 ready stream), ARGV[5] the
-- stream cursor (the last entry id looked at; '-' to start).
-- Returns {removed, next phase (0 when done), next cursor}.
local batch = tonumber(ARGV[3])
local slots = {KEYS[2], KEYS[3], ARGV[1], tonumber(ARGV[2])}
local removed = 0
-- Deletes the record of `key` if it is in `state` (and, when given, points at `entry`),
-- freeing any slots it holds.
local function remove(key, state, entry)
  local record = ARGV[1] .. key
  local current = redis.call('HMGET', record, F_STATE, F_LIMITS, F_ENTRY)
  if tonumber(current[1]) ~= state or (entry and current[3] ~= entry) then
    return false
  end
  redis.call('DEL', record)
  removed = removed + 1
  release_slots(current[2], key, slots)
  return true
end
local phase, cursor = tonumber(ARGV[4]), ARGV[5]
if phase == 1 then
  local keys = redis.call('ZRANGE', KEYS[1], 0, batch - 1)
  for _, key in ipairs(keys) do
    remove(key, S_SCHEDULED)
    redis.call('ZREM', KEYS[1], key)
  end
  if #keys < batch then phase = 2 end
  return {removed, phase, '-'}
elseif phase == 2 then
  local keys = redis.call('SRANDMEMBER', KEYS[3], batch)
  for _, key in ipairs(keys) do
    remove(key, S_QUEUED)
    redis.call('SREM', KEYS[3], key)
  end
  if #keys < batch then phase = 3 end
  return {removed, phase, '-'}
end
local from = cursor
if cursor ~= '-' then from = '(' .. cursor end
local entries = redis.call('XRANGE', KEYS[2], from, '+', 'COUNT', batch)
for _, entry in ipairs(entries) do
  cursor = entry[1]
  local fields = entry[2]
  for j = 1, #fields, 2 do
    -- Only a queued execution's live entry goes; a running one's is its worker's delivery.
    if fields[j] == E_KEY and remove(fields[j + 1], S_QUEUED, entry[1]) then
      redis.call('XDEL', KEYS[2], entry[1])
    end
  end
end
if #entries < batch then
  return {removed, 0, cursor}
end
return {removed, 3, cursor}
