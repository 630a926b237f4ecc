-- wrk script: POST one fixed JSON body (file given as the first script argument),
-- count non-2xx answers and answer kinds in every thread, and print one line
-- "BENCH_JSON {...}" with the run's totals and latency percentiles (microseconds).
-- Usage: wrk -t1 -c16 -d3s -s bench/post.lua http://127.0.0.1:PORT/v1/analyze -- body.json [key] [start]
-- An optional second argument is sent as the API key (Authorization: Bearer <key>).
--
-- Distinct bodies: when the body file contains "@@" (k times), each request fills
-- the k slots with the next 2k-digit counter value (mod 10^2k), starting at the third
-- argument: every request sends a different body of the same size (see bench/README.md).
--
-- Body lists: a body file whose name ends in ".lines" holds one JSON body per line;
-- request n sends line (start + n) mod lines (bench/_drafts.py writes them).

local threads = {}
local parts, slots, modulo, counter = nil, 0, 1, 0
local lines = nil

local function split(text, sep)
  local out, from = {}, 1
  while true do
    local at = string.find(text, sep, from, true)
    if not at then
      table.insert(out, string.sub(text, from))
      return out
    end
    table.insert(out, string.sub(text, from, at - 1))
    from = at + #sep
  end
end

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(args[1], "rb"))
  local body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
  if args[2] and args[2] ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. args[2]
  end
  if string.sub(args[1], -6) == ".lines" then
    lines = {}
    for line in string.gmatch(body, "[^\n]+") do
      table.insert(lines, line)
    end
    wrk.body = lines[1]
    counter = tonumber(args[3] or "0") or 0
  elseif string.find(body, "@@", 1, true) then
    parts = split(body, "@@")
    slots = #parts - 1
    modulo = 10 ^ (2 * slots)
    counter = tonumber(args[3] or "0") or 0
  end
  req = wrk.format()
  non2xx, composer, cached, responses = 0, 0, 0, 0
end

function request()
  if lines ~= nil then
    local line = lines[(counter % #lines) + 1]
    counter = counter + 1
    return wrk.format(nil, nil, nil, line)
  end
  if parts == nil then
    return req
  end
  local digits = string.format("%0" .. (2 * slots) .. "d", counter % modulo)
  counter = counter + 1
  local pieces = { parts[1] }
  for j = 1, slots do
    table.insert(pieces, string.sub(digits, 2 * j - 1, 2 * j))
    table.insert(pieces, parts[j + 1])
  end
  return wrk.format(nil, nil, nil, table.concat(pieces))
end

-- Reading bodies costs wrk a little CPU; every run uses this script, so it is the same for all.
function response(status, headers, body)
  responses = responses + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
  if body then
    if string.find(body, '"source":"composer"', 1, true) then composer = composer + 1 end
    if string.find(body, '"cached":true', 1, true) then cached = cached + 1 end
  end
end

function done(summary, latency, requests)
  local agg = { non2xx = 0, composer = 0, cached = 0, responses = 0 }
  for _, t in ipairs(threads) do
    for k, _ in pairs(agg) do
      agg[k] = agg[k] + (t:get(k) or 0)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,' ..
    '"errors_timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
    '"non2xx":%d,"composer":%d,"cached":%d,"responses":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, agg.non2xx, agg.composer, agg.cached, agg.responses))
end
