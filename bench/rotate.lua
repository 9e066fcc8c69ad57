-- GET requests for bench/run.sh over a list of (API key, path) pairs, one picked at random per request.
-- BENCH_LINES_FILE: one "KEY PATH" a line (e.g. credential reads of many end users, or the list of many projects).
-- Prints the same WRKRESULT line as wrk-report.lua, with the status codes.
local lines = {}
codes = {} -- global: done() reads it from each thread
local threads, counter = {}, 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("BENCH_LINES_FILE")) do
    local key, path = line:match("^(%S+)%s+(%S+)$")
    if key then table.insert(lines, { "Bearer " .. key, path }) end
  end
  if #lines == 0 then error("BENCH_LINES_FILE holds no 'KEY PATH' line") end
  math.randomseed(os.time() * 100 + id)
end

function request()
  local l = lines[math.random(1, #lines)]
  return wrk.format("GET", l[2], { ["Authorization"] = l[1] })
end

function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for code, count in pairs(t:get("codes")) do total[code] = (total[code] or 0) + count end
  end
  local parts = {}
  for code, count in pairs(total) do table.insert(parts, code .. ":" .. count) end
  table.sort(parts)
  local e = summary.errors
  io.write(string.format(
    "WRKRESULT requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d p50_ms=%.2f p99_ms=%.2f codes=%s\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, table.concat(parts, ",")))
end
