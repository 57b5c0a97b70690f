-- Prints one machine-readable line at the end of a wrk run: requests per second, p95 latency (ms),
-- requests, non-2xx/3xx responses and socket errors. Used by bench/pages.py for every page.
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("BENCH rps=%.2f p95_ms=%.3f requests=%d bad_status=%d socket_errors=%d\n",
    summary.requests / seconds, latency:percentile(95.0) / 1000, summary.requests, summary.errors.status, errors))
end
