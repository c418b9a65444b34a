-- Lists the workers whose heartbeat is fresh, by Redis's clock.
-- KEYS[1] workers (zset: name -> deadline ms).
-- Returns their names.
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now_ms(), '+inf')
