-- mixed.lua: many viewers (one token per line of BENCH_TOKENS) rotating through
-- kv_set, kv_get and GET /context/user on BENCH_KEYS personal keys each.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local base = os.getenv("BENCH_BASE_PATH")
local nkeys = tonumber(os.getenv("BENCH_KEYS") or "3")
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do
  if line ~= "" then
    table.insert(tokens, "Bearer " .. line)
  end
end
local n = 0

function request()
  n = n + 1
  -- Threads start at different viewers so they do not walk in step.
  local viewer = ((thread_id or 0) * 37 + n) % #tokens + 1
  -- n // 3 picks the key: each operation (n % 3) reaches every viewer and every key.
  local key = "personal:k" .. (math.floor(n / 3) % nkeys)
  local headers = {["Authorization"] = tokens[viewer]}
  local op = n % 3
  if op == 0 then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", base .. "/call/kv_set", headers,
                      '{"key":"' .. key .. '","value":{"n":' .. n .. ',"tag":"bench"}}')
  elseif op == 1 then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", base .. "/call/kv_get", headers, '{"key":"' .. key .. '"}')
  end
  return wrk.format("GET", base .. "/context/user", headers, nil)
end
