-- Marks an execution as watched (its transitions publish events from now on) and returns its
-- record as a flat field/value list (empty when there is none).
-- KEYS[1] record.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {}
end
redis.call('HSET', KEYS[1], F_WATCHED, 1)
return redis.call('HGETALL', KEYS[1])
