-- wrk script of bench/payouts_api.py: POST /api/v1/payouts/ walking pre-exported orders.
-- BENCH_ROWS: a file of "n order_no token" lines (a slice no other round uses, so no order repeats within
-- 70 s); each wrk thread takes every BENCH_THREADS-th line; the Idempotency-Key is BENCH_PREFIX-n (unique).
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
  rows, pos, i = {}, 0, 0
  for line in io.lines(os.getenv("BENCH_ROWS")) do
    if i % nthreads == tid then
      local n, no, tok = line:match("^(%d+) (%S+) (%S+)$")
      table.insert(rows, {tonumber(n), no, tok})
    end
    i = i + 1
  end
  prefix, path = os.getenv("BENCH_PREFIX") or "k", os.getenv("BENCH_PATH") or "/api/v1/payouts/"
  created, rejected, other = 0, 0, 0
end
function request()
  pos = pos + 1
  local r = rows[((pos - 1) % #rows) + 1]
  local n = r[1]
  local body = string.format(
    '{"order_no": "%s", "type": "shipping_fee", "amount": "%d.%02d", "reason": "bench", "buyer_message": "bench"}',
    r[2], 1 + n % 9, n % 100)
  return wrk.format("POST", path, {["Authorization"] = "Token " .. r[3], ["Idempotency-Key"] = prefix .. "-" .. n,
                                   ["Content-Type"] = "application/json", ["Accept"] = "application/json"}, body)
end
function response(status, headers, body)
  if status == 201 then created = created + 1
  elseif status >= 400 and status < 500 then rejected = rejected + 1
  else other = other + 1 end
end
function done(summary, latency, requests)
  local c, r, o = 0, 0, 0
  for _, t in ipairs(threads) do c = c + t:get("created"); r = r + t:get("rejected"); o = o + t:get("other") end
  io.write(string.format("RESULT rps=%.1f requests=%d created201=%d rejected4xx=%d other=%d errors_connect=%d read=%d write=%d timeout=%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    summary.requests / (summary.duration / 1e6), summary.requests, c, r, o,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
