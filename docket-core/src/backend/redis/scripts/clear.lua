-- Deletes every scheduled and queued execution; running ones are left to finish.
-- KEYS[1] schedule, KEYS[2] ready stream. ARGV[1] record key prefix, ARGV[2] consumer group.
-- Returns how many executions were removed.
local removed = 0
for _, key in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local record = ARGV[1] .. key
  if tonumber(redis.call('HGET', record, F_STATE)) == S_SCHEDULED then
    redis.call('DEL', record)
    removed = removed + 1
  end
end
redis.call('DEL', KEYS[1])
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
    if key and tonumber(redis.call('HGET', ARGV[1] .. key, F_STATE)) == S_QUEUED then
      redis.call('DEL', ARGV[1] .. key)
      removed = removed + 1
    end
    redis.call('XDEL', KEYS[2], entry[1])
  end
end
return removed
