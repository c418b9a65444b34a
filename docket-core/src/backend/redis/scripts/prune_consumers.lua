-- Deletes consumers that hold no pending delivery and have been idle for longer than a
-- threshold: what crashed workers with random names leave behind.
-- KEYS[1] ready stream. ARGV[1] consumer group, ARGV[2] idle threshold (ms).
-- Returns how many consumers were deleted.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if not ok then
  return 0
end
local threshold = tonumber(ARGV[2])
local deleted = 0
for _, consumer in ipairs(consumers) do
  local fields = {}
  for j = 1, #consumer, 2 do
    fields[consumer[j]] = consumer[j + 1]
  end
  if tonumber(fields['pending']) == 0 and tonumber(fields['idle']) > threshold then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], fields['name'])
    deleted = deleted + 1
  end
end
return deleted
