-- Hands back deliveries a worker read but will not start (it is stopping): each live one is
-- queued again under a new stream entry, claimable by any worker at once, and stays QUEUED;
-- stale ones (replaced, cancelled) are only dropped. Nothing is marked RUNNING.
-- KEYS[1] ready stream, KEYS[2..] one execution record per entry.
-- ARGV[1] consumer group; then 2 per entry: entry id, execution key.
-- Returns how many were queued again.
local done = {}
local queued = 0
for i = 2, #KEYS do
  local id, key = ARGV[2 * i - 2], ARGV[2 * i - 1]
  done[#done + 1] = id
  local current = redis.call('HMGET', KEYS[i], F_STATE, F_ENTRY)
  if tonumber(current[1]) == S_QUEUED and current[2] == id then
    local entry = redis.call('XADD', KEYS[1], '*', E_KEY, key)
    redis.call('HSET', KEYS[i], F_ENTRY, entry)
    queued = queued + 1
  end
end
ack_and_delete(KEYS[1], ARGV[1], done)
return queued
