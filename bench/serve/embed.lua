-- wrk script: every request POSTs one image to /embed, as {"inputs": "<base64>", "normalize": false}.
--   wrk -t4 -c16 -d30s -s embed.lua http://127.0.0.1:8080 -- /path/to/body.json
-- The body file is prepared by load.py. At the end one JSON line with the figures is printed.
local threads = {}
local request_text = nil
bad = 0  -- per thread: 200 answers that are not a list of vectors

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(args[1], "rb"), "cannot open " .. tostring(args[1]))
  local body = f:read("*a")
  f:close()
  request_text = wrk.format("POST", "/embed", {["Content-Type"] = "application/json"}, body)
end

function request()
  return request_text
end

function response(status, headers, body)
  if status == 200 and body:sub(1, 2) ~= "[[" then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local malformed = 0
  for _, thread in ipairs(threads) do
    malformed = malformed + thread:get("bad")
  end
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"errors_connect":%d,"errors_read":%d,"errors_write":%d,' ..
    '"errors_status":%d,"errors_timeout":%d,"malformed_answers":%d,"p50_ms":%.2f,"p90_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f}\n',
    summary.requests, summary.duration / 1e6, e.connect, e.read, e.write, e.status, e.timeout, malformed,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
