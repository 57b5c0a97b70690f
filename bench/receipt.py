"""Receipt rendering benchmark: our renderer against stock WeasyPrint on the same HTML, in one run.

For every bundled e-service a sample snapshot is rendered ``--runs`` times after ``--warmup`` renders,
by our renderer (bundled subset fonts, one shared font configuration, the stylesheet parsed once) and by
stock WeasyPrint (the same HTML and CSS with the system's DejaVu Sans, a fresh default configuration
each time, as a plain ``HTML(...).write_pdf()`` call would). Figures are medians and 95th percentiles
in milliseconds; the ratio is ours / stock (target: at most 0.4). Memory: the resident set after
``--memory-renders`` more renders, against the set after the warm-up (should stay flat).

    .venv/bin/python -m bench.receipt [--runs 50] [--warmup 5] [--memory-renders 1000]
"""

from __future__ import annotations

import argparse
import gettext
import re
import resource
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from weasyprint import HTML

from bench.table import Row
from eservices.receipts import STYLESHEET, ReceiptContext, ReceiptRenderer
from eservices.samples import sample_answers
from eservices.schema import load_file
from eservices.snapshot import build_snapshot
from eservices.validation import validate_answers

ROOT = Path(__file__).resolve().parent.parent
CONTEXT = ReceiptContext(
    municipality="Grums kommun", verification_code="K7QM-2XPA", verify_url="https://e.grums.se/verify"
)


def timings(render: Callable[[], bytes], runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        render()
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        render()
        seconds.append(time.perf_counter() - start)
    return seconds


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def stock_html(html: str) -> str:
    """Our HTML with the stylesheet inlined, its @font-face rules removed and the system's DejaVu Sans asked for."""
    css = (ROOT / "static" / STYLESHEET).read_text(encoding="utf-8")
    css = re.sub(r"@font-face[^}]*}", "", css).replace('"En dorr in Sans"', '"DejaVu Sans"')
    return html.replace("</head>", f"<style>{css}</style></head>")


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(runs: int = 50, warmup: int = 5, memory_renders: int = 1000, log: Callable[[str], None] = print) -> list[Row]:
    """The per-e-service table on ``log``; the overall figure as a row of the suite's table."""
    renderer = ReceiptRenderer(ROOT / "templates", ROOT / "static", lambda locale: gettext.NullTranslations())
    today = date(2026, 11, 27)
    rows = []
    snapshots = []
    for path in sorted((ROOT / "forms").glob("*.yaml")):
        definition = load_file(path)
        answers = validate_answers(definition, sample_answers(definition, today), today).answers
        snapshot = build_snapshot(
            definition,
            answers,
            locale="sv",
            translate=lambda locale, message: message,
            reference="GRU-2026-00001T",
            submitted_at=datetime(2026, 11, 27, 12, tzinfo=UTC),
            form_version=1,
        )
        snapshots.append(snapshot)
        html = renderer.html(snapshot, CONTEXT)
        plain = stock_html(html)
        base = (ROOT / "static").as_uri() + "/"
        ours = timings(lambda html=html, snapshot=snapshot: renderer.pdf_from_html(html, snapshot), runs, warmup)
        stock = timings(lambda plain=plain, base=base: HTML(string=plain, base_url=base).write_pdf(), runs, warmup)
        rows.append((path.stem, ours, stock))

    log(f"{'e-service':40} {'ours p50':>9} {'ours p95':>9} {'stock p50':>10} {'stock p95':>10} {'ratio':>6}")
    for name, ours, stock in rows:
        ratio = statistics.median(ours) / statistics.median(stock)
        log(
            f"{name:40} {statistics.median(ours) * 1000:9.1f} {p95(ours) * 1000:9.1f} "
            f"{statistics.median(stock) * 1000:10.1f} {p95(stock) * 1000:10.1f} {ratio:6.2f}"
        )
    all_ours = [value for _, ours, _ in rows for value in ours]
    all_stock = [value for _, _, stock in rows for value in stock]
    overall = statistics.median(all_ours) / statistics.median(all_stock)
    log(
        f"{'all':40} {statistics.median(all_ours) * 1000:9.1f} {p95(all_ours) * 1000:9.1f} "
        f"{statistics.median(all_stock) * 1000:10.1f} {p95(all_stock) * 1000:10.1f} {overall:6.2f}"
    )
    log(f"target: ratio at most 0.40 -> {'met' if overall <= 0.4 else 'NOT met'}")

    before = rss_mib()
    for index in range(memory_renders):
        renderer.pdf(snapshots[index % len(snapshots)], CONTEXT)
    after = rss_mib()
    log(
        f"memory: peak RSS {before:.0f} MiB before, {after:.0f} MiB after {memory_renders} more renders "
        f"({after - before:+.0f} MiB)"
    )

    return [
        Row(
            "receipt PDF render (median)",
            statistics.median(all_ours) * 1000,
            statistics.median(all_stock) * 1000,
            "ms",
            0.4,
            note=f"stock WeasyPrint on the same HTML; memory {after - before:+.0f} MiB over {memory_renders} renders",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--memory-renders", type=int, default=1000)
    args = parser.parse_args()
    run(args.runs, args.warmup, args.memory_renders)


if __name__ == "__main__":
    main()
