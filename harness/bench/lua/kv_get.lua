-- kv_get.lua: kv_get of a random one of personal:k0 .. k<BENCH_NKEYS-1> (BENCH_TOKEN's viewer).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local base = os.getenv("BENCH_BASE_PATH")
local nkeys = tonumber(os.getenv("BENCH_NKEYS"))
local headers = {["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
                 ["Content-Type"] = "application/json"}

function init(args)
  math.randomseed(1234 + (thread_id or 0))
end

function request()
  local i = math.random(0, nkeys - 1)
  return wrk.format("POST", base .. "/call/kv_get", headers, '{"key":"personal:k' .. i .. '"}')
end
