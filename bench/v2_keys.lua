-- wrk script for the etcd v2 keys API, used by `scripts/bench cluster` to load
-- consensusd and etcd the same way. A benchmark, not a test: it asserts nothing.
--
--   wrk -t T -c C -d Ns -s bench/v2_keys.lua http://HOST:PORT -- MODE [KEYS] [VALUE_BYTES]
--
-- MODE is one of
--   put    PUT /v2/keys/bench/k<i> with body "value=<VALUE_BYTES bytes>"
--   get    GET /v2/keys/bench/k<i>               (a local, serializable read)
--   qget   GET /v2/keys/bench/k<i>?quorum=true   (a linearizable read; etcd's "QGET")
-- where i is uniform over [0, KEYS) (default 10000 keys, 256-byte values). Every
-- request is built once in init(), so the script costs the same against both servers.
--
-- wrk itself counts only socket errors and statuses above 399, so response() counts
-- every answer that is not 2xx. done() prints one machine-readable line:
--   WRK_RESULT requests=N duration_us=N p50_us=N p99_us=N p999_us=N non2xx=N
--              connect=N read=N write=N timeout=N
-- (one line; split here for width). Latencies are wrk's per-request microseconds.

local threads = {}
local thread_count = 0

function setup(thread)
   thread_count = thread_count + 1
   thread:set("thread_id", thread_count)
   table.insert(threads, thread)
end

function init(args)
   local mode = args[1] or "put"
   local keys = tonumber(args[2] or "10000")
   local value_bytes = tonumber(args[3] or "256")
   non2xx = 0
   -- Each thread draws its own key sequence; the seed only varies it between threads.
   math.randomseed(thread_id * 7919 + 17)
   local headers = {}
   local body = nil
   local method = "GET"
   local suffix = ""
   if mode == "put" then
      method = "PUT"
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      body = "value=" .. string.rep("v", value_bytes)
   elseif mode == "qget" then
      suffix = "?quorum=true"
   elseif mode ~= "get" then
      io.stderr:write("v2_keys.lua: unknown mode '" .. mode .. "' (put, get or qget)\n")
      os.exit(2)
   end
   requests_by_key = {}
   key_count = keys
   for i = 0, keys - 1 do
      requests_by_key[i + 1] =
         wrk.format(method, "/v2/keys/bench/k" .. i .. suffix, headers, body)
   end
end

function request()
   return requests_by_key[math.random(key_count)]
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
end

function done(summary, latency, requests)
   local total_non2xx = 0
   for _, thread in ipairs(threads) do
      total_non2xx = total_non2xx + (thread:get("non2xx") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      "WRK_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d p999_us=%d non2xx=%d " ..
      "connect=%d read=%d write=%d timeout=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      latency:percentile(99.9), total_non2xx, e.connect, e.read, e.write, e.timeout))
end
