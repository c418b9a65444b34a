-- Renews the leases a worker still holds and reports the ones it lost.
-- KEYS[1] ready stream, KEYS[2..] one execution record per lease.
-- ARGV[1] consumer group, ARGV[2] worker; then 1 per lease: entry id.
-- A lease is held while the record is RUNNING, points at the entry and names the worker;
-- otherwise it was cancelled, replaced, expired or taken over by another worker.
-- Returns the entry ids of the lost leases.
local held = {}
local lost = {}
for i = 1, #KEYS - 1 do
  local id = ARGV[i + 2]
  local current = redis.call('HMGET', KEYS[i + 1], F_STATE, F_ENTRY, F_WORKER)
  if tonumber(current[1]) == S_RUNNING and current[2] == id and current[3] == ARGV[2] then
    held[#held + 1] = id
  else
    lost[#lost + 1] = id
  end
end
for first = 1, #held, 500 do
  local command = {'XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0}
  for j = first, math.min(first + 499, #held) do
    command[#command + 1] = held[j]
  end
  command[#command + 1] = 'JUSTID'
  redis.call(unpack(command))
end
return lost
