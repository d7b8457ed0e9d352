-- echo.lua: POST /call/echo {"text":"hello"} with the verified token of BENCH_TOKEN.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
wrk.method = "POST"
wrk.path = os.getenv("BENCH_BASE_PATH") .. "/call/echo"
wrk.body = '{"text":"hello"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
