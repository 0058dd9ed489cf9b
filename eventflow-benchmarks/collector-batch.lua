-- wrk script for collector-wrk.sh: a batch of 100 events per request, POST /v1/batch as a JSON
-- array, keep-alive; each connection is one batch in flight. done() prints the figures on one line
-- each, for the script to read, events counted as 100 per request (answered or not: check not 2xx).
local events_per_request = 100
local one = '{"type":"view","attributes":{"page":{"stringValue":"/home"}}}'
local batch = {}
for i = 1, events_per_request do
  batch[i] = one
end
wrk.method = "POST"
wrk.path = "/v1/batch"
wrk.body = "[" .. table.concat(batch, ",") .. "]"
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format("requests %d\n", summary.requests))
  io.write(string.format("events %d\n", summary.requests * events_per_request))
  io.write(string.format("seconds %.3f\n", seconds))
  io.write(string.format("requests/s %.0f\n", summary.requests / seconds))
  io.write(string.format("events/s %.0f\n", summary.requests * events_per_request / seconds))
  io.write(string.format("p50 %.2f ms\n", latency:percentile(50) / 1e3))
  io.write(string.format("p99 %.2f ms\n", latency:percentile(99) / 1e3))
  io.write(string.format("max %.2f ms\n", latency.max / 1e3))
  io.write(string.format("not 2xx %d, socket errors %d\n", e.status,
    e.connect + e.read + e.write + e.timeout))
end
