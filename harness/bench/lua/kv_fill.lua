-- kv_fill.lua: kv_set personal:k0 .. k<BENCH_NKEYS-1> for the viewer of BENCH_TOKEN;
-- run with BENCH_LIMIT = BENCH_NKEYS / threads so every key is written at least once.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local base = os.getenv("BENCH_BASE_PATH")
local nkeys = tonumber(os.getenv("BENCH_NKEYS"))
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
local headers = {["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
                 ["Content-Type"] = "application/json"}
local n = 0

function request()
  local i = ((thread_id or 0) + nthreads * n) % nkeys
  n = n + 1
  return wrk.format("POST", base .. "/call/kv_set", headers,
                    '{"key":"personal:k' .. i .. '","value":{"i":' .. i .. ',"pad":"0123456789abcdef"}}')
end
