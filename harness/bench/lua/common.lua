-- common.lua: shared by the bench wrk scripts. Prints one "BENCHJSON {...}" line from
-- done() (requests, errors, duration and latency percentiles in microseconds) and,
-- when BENCH_LIMIT is set, stops each thread after that many answers and appends a
-- line to BENCH_DONE_FILE (wrk itself waits out its -d, so the caller ends it early).
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end

local limit = tonumber(os.getenv("BENCH_LIMIT") or "")
if limit then
  local answered = 0
  local stopped = false
  function response(status, headers, body)
    answered = answered + 1
    if answered >= limit and not stopped then
      stopped = true
      local f = io.open(os.getenv("BENCH_DONE_FILE"), "a")
      if f then
        f:write("done\n")
        f:close()
      end
      wrk.thread:stop()
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"mean":%.1f,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
