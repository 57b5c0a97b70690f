"""CSV export at size: memory growth and rows per second, exporting every case against about a tenth.

Each export runs in a fresh process on the large database (``bench seed``), signed in as the bench staff
member, through the real route (``/staff/export.csv``, streamed); the process reads the whole response.
Memory growth is the peak resident set during the export (VmHWM, reset through /proc/self/clear_refs
just before it) minus the resident set then, after a small warm-up export, so imports and caches are
already paid for. Linux only. The "about a tenth" export is the
same query limited to the newest cases by its received-from date. Targets: growth at most 64 MB and at
most 1.2 times the tenth's growth; at least 50,000 rows per second.

    .venv/bin/python -m bench.export [--cases 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import databases
from bench.table import Absolute, Row

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, time
from bench.largedb import application, signed_in

def status_mib(key):
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(key + ":"))
    return int(line.split()[1]) / 1024

app = application(URL)
client = signed_in(app)
client.get("/staff/export.csv?from=2999-01-01").get_data()  # warm-up: nothing matches
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # Linux: the peak resident set (VmHWM) starts again from the current one
before = status_mib("VmRSS")
start = time.perf_counter()
response = client.get(QUERY, buffered=False)
rows = -1  # the header
for chunk in response.response:
    rows += chunk.count("\\n") if isinstance(chunk, str) else chunk.count(b"\\n")
elapsed = time.perf_counter() - start
peak = status_mib("VmHWM")
print(json.dumps({"rows": rows, "seconds": elapsed, "growth_mib": peak - before}))
"""


def export(url: str, query: str) -> dict[str, float]:
    code = f"URL = {url!r}\nQUERY = {query!r}\n" + CHILD
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=databases.environment(url),
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run(base_url: str, cases: int, log: Callable[[str], None] = print) -> list[Row | Absolute]:
    url = databases.derived_url(base_url, "large")
    databases.prepare(url, cases)
    # The seed spreads cases evenly over five years: the last half year is about a tenth of them.
    since = (datetime.now(UTC) - timedelta(days=183)).date().isoformat()
    tenth = export(url, f"/staff/export.csv?from={since}")
    log(f"  a tenth: {tenth['rows']:.0f} rows in {tenth['seconds']:.1f} s, +{tenth['growth_mib']:.1f} MiB")
    everything = export(url, "/staff/export.csv")
    log(f"  all: {everything['rows']:.0f} rows in {everything['seconds']:.1f} s, +{everything['growth_mib']:.1f} MiB")
    rate = everything["rows"] / everything["seconds"]
    size = f"{everything['rows']:,.0f} vs {tenth['rows']:,.0f} rows".replace(",", " ")
    return [
        Row(
            "CSV export: peak memory growth, all vs a tenth",
            everything["growth_mib"],
            tenth["growth_mib"],
            "MiB",
            1.2,
            note=size,
        ),
        Absolute("CSV export: peak memory growth, all cases", everything["growth_mib"], "MiB", 64, False),
        Absolute("CSV export: rows per second, all cases", rate, "rows/s", 50_000, True),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=databases.default_base_url())
    parser.add_argument("--cases", type=int, default=1_000_000)
    args = parser.parse_args()
    from bench.table import render

    print(render(run(args.database_url, args.cases)))


if __name__ == "__main__":
    main()
