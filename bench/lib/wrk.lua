-- wrk script for bench/run.sh.
--
-- Environment (all optional):
--   PCB_OUT     write the run's summary as one JSON object to this file (else print it,
--               prefixed with "PCB_JSON ", to stdout).
--   PCB_PATHS   comma-separated request paths, used round-robin by each connection's thread
--               (warm-up: /json and /big alternately). Unset: wrk's URL path only.
--   PCB_RATE    offered load in requests/s for the whole run (all threads). Set: each thread
--               sends on a fixed schedule (open loop) instead of as fast as responses come back.
--   PCB_THREADS the -t value, so that the rate can be split between threads.
--   PCB_KEYS    N > 0: every request carries "x-client: c<k>", k drawn at random from 1..N (many
--               clients for a rate limit keyed by that header; targets that do not read it ignore it).
--
-- Pacing: wrk calls delay() before every request; each thread keeps an absolute schedule
-- (start + k * interval) and returns how long to wait for slot k. A slot already in the past
-- is sent at once and counted as "late": many late slots mean the target could not keep up with
-- the rate, and the achieved req/s then falls short. Latency is measured by wrk from the actual
-- send (no coordinated-omission correction as in wrk2, which Debian does not package).

local out_file   = os.getenv("PCB_OUT")
local path_list  = os.getenv("PCB_PATHS")
local rate_total = tonumber(os.getenv("PCB_RATE") or "") or 0
local n_threads  = tonumber(os.getenv("PCB_THREADS") or "") or 1
local n_keys     = tonumber(os.getenv("PCB_KEYS") or "") or 0

-- setup() runs in the main Lua state, once per thread: keep the threads to read their counters.
local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
end

if n_keys > 0 then
  -- Formatted once per client and path; request() picks a client at random, paths in turn.
  local requests, n_paths, n = {}, 0, 0
  function init(args)
    local paths = {}
    if path_list and path_list ~= "" then
      for p in string.gmatch(path_list, "[^,]+") do paths[#paths + 1] = p end
    else
      paths[1] = wrk.path
    end
    n_paths = #paths
    for k = 1, n_keys do
      for i, p in ipairs(paths) do
        -- A headers table replaces wrk.headers in wrk.format: the -H ones (credentials) are copied in.
        local headers = { ["x-client"] = "c" .. k }
        for name, value in pairs(wrk.headers) do headers[name] = value end
        requests[(k - 1) * n_paths + i] = wrk.format("GET", p, headers)
      end
    end
  end
  function request()
    n = n + 1
    return requests[(math.random(1, n_keys) - 1) * n_paths + (n - 1) % n_paths + 1]
  end
elseif path_list and path_list ~= "" then
  local requests, n = {}, 0
  function init(args)
    for p in string.gmatch(path_list, "[^,]+") do
      requests[#requests + 1] = wrk.format("GET", p)
    end
  end
  function request()
    n = n + 1
    return requests[(n - 1) % #requests + 1]
  end
end

if rate_total > 0 then
  local ffi = require("ffi")
  ffi.cdef[[
    struct pcb_timespec { long sec; long nsec; };
    int clock_gettime(int clock, struct pcb_timespec *ts);
  ]]
  local CLOCK_MONOTONIC = 1
  local now_ts = ffi.new("struct pcb_timespec")
  local function now_ms()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, now_ts)
    return tonumber(now_ts.sec) * 1e3 + tonumber(now_ts.nsec) * 1e-6
  end

  local interval_ms = 1e3 * n_threads / rate_total
  local start_ms = nil
  slot = 0   -- globals of this thread's Lua state: read by done() through thread:get()
  late = 0

  function delay()
    local t = now_ms()
    if start_ms == nil then start_ms = t end
    local due = start_ms + slot * interval_ms
    slot = slot + 1
    if due < t then
      late = late + 1
      return 0
    end
    return due - t
  end
end

function done(summary, latency, requests)
  local slots, late_slots = 0, 0
  for _, t in ipairs(threads) do
    slots = slots + (tonumber(t:get("slot")) or 0)
    late_slots = late_slots + (tonumber(t:get("late")) or 0)
  end
  local e = summary.errors
  local fields = {
    string.format('"duration_us":%d', summary.duration),
    string.format('"requests":%d', summary.requests),
    string.format('"bytes":%d', summary.bytes),
    string.format('"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}',
      e.connect, e.read, e.write, e.status, e.timeout),
    string.format('"latency_us":{"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p999":%d}',
      latency.mean, latency.stdev, latency.max,
      latency:percentile(50), latency:percentile(75), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9)),
    string.format('"rate":%d,"slots":%d,"late_slots":%d', rate_total, slots, late_slots),
  }
  local json = "{" .. table.concat(fields, ",") .. "}"
  if out_file and out_file ~= "" then
    local f = assert(io.open(out_file, "w"))
    f:write(json, "\n")
    f:close()
  else
    print("PCB_JSON " .. json)
  end
end
