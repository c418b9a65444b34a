-- Announces a worker as alive until now + ttl, refusing while another live instance has its
-- name; forgets workers whose heartbeat is stale.
-- KEYS[1] workers (zset: name -> deadline ms), KEYS[2] the worker's hash (instance, seen,
-- tasks), which expires with its deadline.
-- ARGV[1] name, ARGV[2] instance, ARGV[3] ttl (ms), ARGV[4] task names, newline-separated.
-- Returns {1, live workers} or {0, ms since the other instance's last heartbeat}.
local now = now_ms()
local current = redis.call('HMGET', KEYS[2], W_INSTANCE, W_SEEN)
if current[1] and current[1] ~= ARGV[2] and is_alive(KEYS[1], ARGV[1], now) then
  return {0, now - (tonumber(current[2]) or now)}
end
redis.call('HSET', KEYS[2], W_INSTANCE, ARGV[2], W_SEEN, now, W_TASKS, ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return {1, redis.call('ZCARD', KEYS[1])}
