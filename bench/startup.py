"""Start-up: ``create_app()`` and the first request in a fresh process, against a bare Flask app that
imports the same libraries and answers its first request.

Each measurement is a new Python process, timed from outside (interpreter start, imports, building the
app, one request through the test client), ``--runs`` times alternating with the baseline; the figures
are medians. The libraries the baseline imports are the third-party packages the application process
has loaded after its first request, found in a first, unmeasured run, so the ratio shows what our own
code adds at start-up (target: at most 1.5).

    .venv/bin/python -m bench.startup [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import databases
from bench.table import Row, median

ROOT = Path(__file__).resolve().parent.parent

APP = """
import sys, json
from app import create_app
app = create_app({"DATABASE_URL": URL, "SECRET_KEY": KEY})
response = app.test_client().get("/")
assert response.status_code == 200, response.status_code
if LIST:
    ours = {"app", "eservices", "bench"}
    names = {n.split(".")[0] for n in sys.modules}
    third = sorted(n for n in names if n not in ours and n not in sys.stdlib_module_names and not n.startswith("_"))
    print(json.dumps(third))
"""

BARE = """
import importlib
for name in LIBRARIES:
    try:
        importlib.import_module(name)
    except Exception:
        pass
from flask import Flask
app = Flask(__name__)
app.add_url_rule("/", "hello", lambda: "Hej!")
response = app.test_client().get("/")
assert response.status_code == 200
"""


def _run(code: str, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return time.perf_counter() - start, done.stdout


def run(base_url: str, runs: int, log: Callable[[str], None] = print) -> list[Row]:
    url = databases.derived_url(base_url, "small")
    databases.prepare(url, 1000)
    env = databases.environment(url)
    prelude = f"URL = {url!r}\nKEY = {databases.SECRET_KEY!r}\n"
    _, listed = _run(prelude + "LIST = True\n" + APP, env)
    libraries = json.loads(listed.strip().splitlines()[-1])
    log(f"  the application loads {len(libraries)} third-party packages; the bare app imports the same")
    app_code = prelude + "LIST = False\n" + APP
    bare_code = f"LIBRARIES = {libraries!r}\n" + BARE
    ours, bare = [], []
    for _ in range(runs):
        ours.append(_run(app_code, env)[0])
        bare.append(_run(bare_code, env)[0])
    return [
        Row(
            "start-up: create_app() + first request",
            median(ours) * 1000,
            median(bare) * 1000,
            "ms",
            1.5,
            note=f"fresh process each time; bare Flask app importing the same {len(libraries)} packages",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=databases.default_base_url())
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    from bench.table import render

    print(render(run(args.database_url, args.runs)))


if __name__ == "__main__":
    main()
