-- wrk script for collector-wrk.sh: collector-batch.lua's batch of 100 events as newline-delimited
-- JSON (application/x-ndjson) instead of a JSON array; each connection is one batch in flight.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "collector-event.lua")
events_per_request = 100
wrk.path = "/v1/batch"
wrk.headers["Content-Type"] = "application/x-ndjson"
wrk.body = string.rep(wrk.body .. "\n", events_per_request)
