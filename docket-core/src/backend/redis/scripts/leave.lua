-- Removes a worker from the registry, and its consumer from the group once it holds no
-- pending delivery (deleting a consumer with pending entries would strand them).
-- KEYS[1] workers, KEYS[2] ready stream. ARGV[1] worker, ARGV[2] consumer group.
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 0 then
  return 0
end
local ok, pending = pcall(redis.call, 'XPENDING', KEYS[2], ARGV[2], '-', '+', 1, ARGV[1])
if ok and #pending == 0 then
  redis.call('XGROUP', 'DELCONSUMER', KEYS[2], ARGV[2], ARGV[1])
  return 1
end
return 0
