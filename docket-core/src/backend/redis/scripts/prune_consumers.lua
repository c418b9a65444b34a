-- Deletes the consumers of dead workers once they hold no pending delivery (their deliveries
-- were taken over): what crashed workers leave behind. A consumer whose worker has a fresh
-- heartbeat is kept.
-- KEYS[1] ready stream, KEYS[2] workers (zset: name -> deadline ms).
-- ARGV[1] consumer group.
-- Returns how many consumers were deleted.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if not ok then
  return 0
end
local now = now_ms()
local deleted = 0
for _, consumer in ipairs(consumers) do
  local fields = {}
  for j = 1, #consumer, 2 do
    fields[consumer[j]] = consumer[j + 1]
  end
  if tonumber(fields['pending']) == 0 and not is_alive(KEYS[2], fields['name'], now) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], fields['name'])
    deleted = deleted + 1
  end
end
return deleted
