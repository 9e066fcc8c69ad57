-- POST /api/v1/integrations/stripe/install for bench/run.sh, fresh random secrets on every request.
-- BENCH_KEYS_FILE: API keys, one a line. Each wrk thread takes every Nth key (N = threads) and rotates over
-- its share, so with at least as many keys as connections no two requests in flight install for the same account.
local path = "/api/v1/integrations/stripe/install"
local alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
local threads, counter = {}, 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local keys, next_key = {}, 1
codes = {} -- global: done() reads it from each thread

-- args[1]: the number of wrk threads.
function init(args)
  local n = #args > 0 and tonumber(args[1]) or 1
  local all = {}
  for line in io.lines(os.getenv("BENCH_KEYS_FILE")) do
    if #line > 0 then table.insert(all, line) end
  end
  for i, key in ipairs(all) do
    if (i - 1) % n == (id - 1) % n then table.insert(keys, key) end
  end
  if #keys == 0 then keys = all end -- fewer keys than threads: share them
  if #keys == 0 then error("BENCH_KEYS_FILE holds no API key") end
  math.randomseed(os.time() * 100 + id)
end

local function rand(len)
  local t = {}
  for i = 1, len do
    local k = math.random(1, #alnum)
    t[i] = alnum:sub(k, k)
  end
  return table.concat(t)
end

function request()
  local key = keys[next_key]
  next_key = next_key % #keys + 1
  local body = '{"params":{"api_version":"2024-06-20"},"secrets":{"api_key":"sk_test_' .. rand(24) ..
    '","webhook_secret":"whsec_' .. rand(16) .. '"}}'
  return wrk.format("POST", path, { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }, body)
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
