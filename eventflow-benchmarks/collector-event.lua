-- wrk script for collector-wrk.sh: one event per request, POST /v1/events as JSON, keep-alive.
-- done() prints the figures on one line each, for the script to read; collector-batch.lua reuses
-- this file and sets events_per_request.
events_per_request = 1
wrk.method = "POST"
wrk.path = "/v1/events"
wrk.body = '{"type":"view","attributes":{"page":{"stringValue":"/home"}}}'
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
