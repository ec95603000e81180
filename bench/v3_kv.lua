-- wrk script for etcd's v3 JSON gateway (the grpc-gateway in front of the KV service),
-- used by `scripts/bench cluster` to load consensusd and etcd the same way. A
-- benchmark, not a test: it asserts nothing.
--
--   wrk -t T -c C -d Ns -s bench/v3_kv.lua http://HOST:PORT -- MODE [KEYS] [VALUE_BYTES] [LIMIT]
--
-- MODE is one of
--   put     POST /v3/kv/put   {"key": base64("bench/k<i>"), "value": base64(<VALUE_BYTES bytes>)}
--   range   POST /v3/kv/range {"key": base64("bench/k<i>")}
--           (a linearizable read, etcd's default)
--   srange  POST /v3/kv/range {"key": base64("bench/k<i>"), "serializable": true}
--           (a local, serializable read)
-- where i is uniform over [0, KEYS) (default 10000 keys, 256-byte values). Every
-- request is built once in init(), so the script costs the same against both servers.
-- With LIMIT, each thread stops after that many answers (plus the few still in flight
-- then), before -d runs out: `scripts/bench cluster` tops up the system that did fewer
-- puts with it, so both hold the same revisions when their memory is compared.
-- The v3 keyspace is not the v2 one (in etcd and in consensusd), so the range modes
-- need the keys put through /v3/kv/put first.
--
-- Errors. wrk itself counts only socket errors and statuses above 399, so response()
-- counts every answer that is not 2xx (non2xx). etcd's gateway answers a failed unary
-- call (put, range) with the HTTP status of its gRPC code and a body
-- {"error": ..., "code": ..., "message": ...}; only streams (watch) carry an error
-- inside a 200 body [etcd 3.4: the grpc-gateway it vendors, runtime/errors.go
-- DefaultHTTPError and runtime/handler.go ForwardResponseStream].
-- So a 200 with an "error" field should not happen here. It is still counted, in
-- bad_body, together with a range answer that has no "kvs" (the key was not found,
-- which the v2 GET answers with a 404). Neither check can be fooled by a key or value:
-- those are base64, which has no '"'.
--
-- done() prints one machine-readable line:
--   WRK_RESULT requests=N duration_us=N p50_us=N p99_us=N p999_us=N non2xx=N
--              connect=N read=N write=N timeout=N bad_body=N
-- (one line; split here for width). Latencies are wrk's per-request microseconds.

local threads = {}
local thread_count = 0

local base64_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

-- Standard base64 (RFC 4648, with padding), as protobuf's JSON mapping writes bytes.
local function base64(text)
   local out = {}
   for i = 1, #text, 3 do
      local a, b, c = text:byte(i, i + 2)
      local n = a * 65536 + (b or 0) * 256 + (c or 0)
      local function digit(shift)
         local d = math.floor(n / shift) % 64
         return base64_alphabet:sub(d + 1, d + 1)
      end
      out[#out + 1] = digit(262144) .. digit(4096) ..
         (b and digit(64) or "=") .. (c and digit(1) or "=")
   end
   return table.concat(out)
end

function setup(thread)
   thread_count = thread_count + 1
   thread:set("thread_id", thread_count)
   table.insert(threads, thread)
end

function init(args)
   local mode = args[1] or "put"
   local keys = tonumber(args[2] or "10000")
   local value_bytes = tonumber(args[3] or "256")
   limit = tonumber(args[4] or "0")
   answers = 0
   non2xx = 0
   bad_body = 0
   -- Each thread draws its own key sequence; the seed only varies it between threads.
   math.randomseed(thread_id * 7919 + 17)
   local headers = { ["Content-Type"] = "application/json" }
   local path = "/v3/kv/range"
   local extra = ""
   expect_kvs = true
   if mode == "put" then
      path = "/v3/kv/put"
      extra = ',"value":"' .. base64(string.rep("v", value_bytes)) .. '"'
      expect_kvs = false
   elseif mode == "srange" then
      extra = ',"serializable":true'
   elseif mode ~= "range" then
      io.stderr:write("v3_kv.lua: unknown mode '" .. mode .. "' (put, range or srange)\n")
      os.exit(2)
   end
   requests_by_key = {}
   key_count = keys
   for i = 0, keys - 1 do
      local body = '{"key":"' .. base64("bench/k" .. i) .. '"' .. extra .. '}'
      requests_by_key[i + 1] = wrk.format("POST", path, headers, body)
   end
end

function request()
   return requests_by_key[math.random(key_count)]
end

function response(status, headers, body)
   answers = answers + 1
   if limit > 0 and answers >= limit then
      wrk.thread:stop()
   end
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   elseif string.find(body, '"error"', 1, true) or
      (expect_kvs and not string.find(body, '"kvs"', 1, true)) then
      bad_body = bad_body + 1
   end
end

function done(summary, latency, requests)
   local total_non2xx = 0
   local total_bad_body = 0
   for _, thread in ipairs(threads) do
      total_non2xx = total_non2xx + (thread:get("non2xx") or 0)
      total_bad_body = total_bad_body + (thread:get("bad_body") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      "WRK_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d p999_us=%d non2xx=%d " ..
      "connect=%d read=%d write=%d timeout=%d bad_body=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      latency:percentile(99.9), total_non2xx, e.connect, e.read, e.write, e.timeout,
      total_bad_body))
end
