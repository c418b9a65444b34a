-- Marks claimed deliveries RUNNING; acknowledges and deletes stale ones (replaced, cancelled,
-- expired) so they never run.
-- KEYS[1] ready stream, KEYS[2] events channel, KEYS[3..] one execution record per delivery.
-- ARGV[1] consumer group, ARGV[2] worker, ARGV[3] now (ms); then 2 per delivery: entry id, key.
-- A delivery is live only if its entry is the one the record points at: stream entry ids are
-- never reused, so a replaced, cancelled or deleted-and-rescheduled execution is never run by
-- an old delivery.
-- Returns per delivery: 0 when stale, else {task name, argument map, attempt, due, generation}.
local out = {}
local stale = {}
for i = 1, #KEYS - 2 do
  local record = KEYS[i + 2]
  local b = 3 + (i - 1) * 2
  local id, key = ARGV[b + 1], ARGV[b + 2]
  local current = redis.call('HMGET', record, 's', 'i', 'f', 'a', 'n', 'w', 'x', 'g')
  local state = tonumber(current[1])
  if state and (state == 2 or state == 3) and current[2] == id then
    redis.call('HSET', record, 's', 3, 'k', ARGV[2], 't0', ARGV[3])
    if current[7] then
      redis.call('PUBLISH', KEYS[2], cmsgpack.pack({key, 3}))
    end
    out[i] = {current[3], current[4], current[5], current[6], current[8]}
  else
    out[i] = 0
    stale[#stale + 1] = id
  end
end
for first = 1, #stale, 500 do
  local chunk = {unpack(stale, first, math.min(first + 499, #stale))}
  redis.call('XACK', KEYS[1], ARGV[1], unpack(chunk))
  redis.call('XDEL', KEYS[1], unpack(chunk))
end
return out
