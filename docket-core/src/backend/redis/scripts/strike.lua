-- Adds or removes one strike rule and tells every process of the docket.
-- KEYS[1] the hash of strike rules (see `STRIKES_VERSION` in schema.rs), KEYS[2] the channel
-- announcing a new version of the rules.
-- ARGV[1] 'add' or 'remove', ARGV[2] the rule's canonical encoding, ARGV[3] the most rules a
-- docket keeps, ARGV[4] the caller's clock (ms; only shown as when the rule was added).
-- Returns 1 when the rules changed, 0 when there was nothing to do (the rule was there
-- already, or was not there to remove), -1 when the docket keeps the most rules already.
local changed
if ARGV[1] == 'add' then
  if redis.call('HEXISTS', KEYS[1], ARGV[2]) == 1 then
    return 0
  end
  local rules = redis.call('HLEN', KEYS[1])
  if redis.call('HEXISTS', KEYS[1], STRIKES_VERSION) == 1 then
    rules = rules - 1
  end
  if rules >= tonumber(ARGV[3]) then
    return -1
  end
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[4])
  changed = true
else
  changed = redis.call('HDEL', KEYS[1], ARGV[2]) == 1
end
if not changed then
  return 0
end
-- The version only grows, even across a FLUSHALL or a restart that lost the hash: it is
-- Redis's clock in microseconds, or one more than the last version if that is later.
local time = redis.call('TIME')
local version = math.max(tonumber(time[1]) * 1000000 + tonumber(time[2]), (tonumber(redis.call('HGET', KEYS[1], STRIKES_VERSION)) or 0) + 1)
redis.call('HSET', KEYS[1], STRIKES_VERSION, string.format('%d', version))
redis.call('PUBLISH', KEYS[2], string.format('%d', version))
return 1
