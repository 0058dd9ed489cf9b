-- wrk script for collector-wrk.sh: one event per request, POST /v1/events as JSON, keep-alive.
-- done() prints the figures on one line each, for the script to read.
wrk.method = "POST"
wrk.path = "/v1/events"
wrk.body = '{"type":"view","attributes":{"page":{"stringValue":"/home"}}}'
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("requests %d\n", summary.requests))
  io.write(string.format("seconds %.3f\n", summary.duration / 1e6))
  io.write(string.format("requests/s %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("p50 %.2f ms\n", latency:percentile(50) / 1e3))
  io.write(string.format("p99 %.2f ms\n", latency:percentile(99) / 1e3))
  io.write(string.format("max %.2f ms\n", latency.max / 1e3))
  io.write(string.format("not 2xx %d, socket errors %d\n", e.status,
    e.connect + e.read + e.write + e.timeout))
end
