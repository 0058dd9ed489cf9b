-- wrk script for collector-wrk.sh: a batch of 100 events per request, POST /v1/batch as a JSON
-- array, keep-alive; each connection is one batch in flight. The figures are collector-event.lua's,
-- events counted as 100 per request (answered or not: check not 2xx).
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "collector-event.lua")
events_per_request = 100
local batch = {}
for i = 1, events_per_request do
  batch[i] = wrk.body
end
wrk.path = "/v1/batch"
wrk.body = "[" .. table.concat(batch, ",") .. "]"
