-- Removes a worker from the registry (unless another instance has taken its name since), and
-- its consumer from the group once it holds no pending delivery (deleting a consumer with
-- pending entries would strand them).
-- KEYS[1] workers, KEYS[2] ready stream, KEYS[3] the worker's hash.
-- ARGV[1] worker, ARGV[2] consumer group, ARGV[3] instance.
local instance = redis.call('HGET', KEYS[3], W_INSTANCE)
if instance and instance ~= ARGV[3] then
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[3])
if redis.call('EXISTS', KEYS[2]) == 0 then
  return 0
end
local ok, pending = pcall(redis.call, 'XPENDING', KEYS[2], ARGV[2], '-', '+', 1, ARGV[1])
if ok and #pending == 0 then
  redis.call('XGROUP', 'DELCONSUMER', KEYS[2], ARGV[2], ARGV[1])
  return 1
end
return 0
