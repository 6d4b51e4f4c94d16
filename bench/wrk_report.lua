-- wrk script for bench/api.sh: rotation through request paths read from a file (one per
-- line, passed as `-- FILE`), and one machine-readable result line at the end.
--
-- Each thread walks the whole list in order, starting at its own offset (thread n starts
-- n/THREADS of the way in), so at any moment the threads ask for different paths and a
-- path comes back only after every other one was asked for. With a list longer than the
-- requests answered in one response-cache TTL, most requests miss the cache. Without a
-- file, every request is the URL given to wrk.
local threads = {}
local paths = {}
local next_path = 1

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("thread_index", #threads - 1)
end

function init(args)
  if args[1] then
    for line in io.lines(args[1]) do
      if #line > 0 then paths[#paths + 1] = line end
    end
    -- THREADS comes from bench/api.sh through the environment (wrk's -t).
    local count = tonumber(os.getenv("WRK_THREADS") or "1") or 1
    local index = tonumber(thread_index or 0) or 0
    if #paths > 0 then next_path = math.floor(#paths * index / count) % #paths + 1 end
  end
end

function request()
  if #paths == 0 then return wrk.request() end
  local path = paths[next_path]
  next_path = next_path % #paths + 1
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
