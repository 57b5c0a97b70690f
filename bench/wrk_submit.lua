-- The submit POST under load: every request files a different, complete draft (its own session cookie,
-- CSRF token and form version), so each one validates, stores the case, renders and stores its
-- receipt and writes the confirmation mail to the outbox, as a resident's "Skicka" does.
-- The drafts are prepared by bench/pages.py in the file named by the environment variable BENCH_DRAFTS,
-- one "cookie<TAB>csrf token<TAB>version<TAB>path" a line; each wrk thread takes every n-th line.
local drafts = {}
for line in io.lines(os.getenv("BENCH_DRAFTS")) do
  local cookie, token, version, path = line:match("([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)")
  drafts[#drafts + 1] = {cookie = cookie, token = token, version = version, path = path}
end

local counter = 0
local threads = 0
local thread_index = 0

setup = function(thread)
  thread:set("thread_index", threads)
  threads = threads + 1
end

init = function(args)
  counter = thread_index
end

request = function()
  local draft = drafts[(counter % #drafts) + 1]
  counter = counter + 2  -- two wrk threads: thread 0 takes even lines, thread 1 odd ones
  local body = "csrf_token=" .. draft.token .. "&version=" .. draft.version .. "&action=submit"
  return wrk.format("POST", draft.path, {
    ["Cookie"] = draft.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("BENCH rps=%.2f p95_ms=%.3f requests=%d bad_status=%d socket_errors=%d\n",
    summary.requests / seconds, latency:percentile(95.0) / 1000, summary.requests, summary.errors.status, errors))
end
