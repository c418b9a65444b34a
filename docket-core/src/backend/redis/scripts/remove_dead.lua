-- Removes dead letters by id, keeping the byte count of the ones left exact.
-- KEYS[1] dead letters (a stream), KEYS[2] their byte count. ARGV: the ids (an id that is not
-- a dead letter, or not a stream id at all, is skipped).
-- Returns how many were removed.
local removed = 0
for _, id in ipairs(ARGV) do
  local ok, found = pcall(redis.call, 'XRANGE', KEYS[1], id, id)
  local entry = ok and found[1]
  if entry then
    local size = 0
    for j = 1, #entry[2], 2 do
      if entry[2][j] == D_SIZE then size = tonumber(entry[2][j + 1]) or 0 end
    end
    redis.call('XDEL', KEYS[1], id)
    if redis.call('DECRBY', KEYS[2], size) <= 0 then
      redis.call('DEL', KEYS[2])
    end
    removed = removed + 1
  end
end
return removed
