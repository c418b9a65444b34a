-- Reads up to a batch of new deliveries for a worker and marks the live ones RUNNING, in one
-- step (the non-blocking path of a claim; the worker blocks on XREADGROUP only when this
-- finds nothing). Stale entries (replaced, cancelled, expired) are acknowledged and deleted.
-- KEYS[1] ready stream, KEYS[2] events channel.
-- ARGV[1] consumer group, ARGV[2] worker, ARGV[3] now (ms), ARGV[4] batch size,
-- ARGV[5] execution record key prefix.
-- Returns {id, key, task name, argument map, attempt, due, generation} per live delivery.
local read = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[4], 'STREAMS', KEYS[1], '>')
local out = {}
if not read then
  return out
end
local stale = {}
for _, entry in ipairs(read[1][2]) do
  local id, fields = entry[1], entry[2]
  local key = nil
  for j = 1, #fields, 2 do
    if fields[j] == 'k' then key = fields[j + 1] end
  end
  local current = {}
  if key then
    current = redis.call('HMGET', ARGV[5] .. key, 's', 'i', 'f', 'a', 'n', 'w', 'x', 'g')
  end
  local state = tonumber(current[1])
  if state and (state == 2 or state == 3) and current[2] == id then
    redis.call('HSET', ARGV[5] .. key, 's', 3, 'k', ARGV[2], 't0', ARGV[3])
    if current[7] then
      redis.call('PUBLISH', KEYS[2], cmsgpack.pack({key, 3}))
    end
    out[#out + 1] = {id, key, current[3], current[4], current[5], current[6], current[8]}
  else
    stale[#stale + 1] = id
  end
end
for first = 1, #stale, 500 do
  local chunk = {unpack(stale, first, math.min(first + 499, #stale))}
  redis.call('XACK', KEYS[1], ARGV[1], unpack(chunk))
  redis.call('XDEL', KEYS[1], unpack(chunk))
end
return out
