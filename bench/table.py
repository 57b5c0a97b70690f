"""The one table every benchmark reports into: figure, baseline, ratio, target, met.

Every figure is measured beside its baseline in the same run, on the same machine, so the ratio is what
counts; the absolute numbers are shown only to read the ratio by.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One figure. ``higher_is_better`` says which way the target points (rps: yes; time, memory: no)."""

    figure: str
    value: float
    baseline: float
    unit: str
    target: float | None
    higher_is_better: bool = False
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("inf")

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target

    def target_text(self) -> str:
        if self.target is None:
            return "-"
        return f"{'>=' if self.higher_is_better else '<='} {self.target:g}"


@dataclass(frozen=True)
class Absolute:
    """A figure with an absolute floor rather than a ratio (export rows per second, memory ceiling)."""

    figure: str
    value: float
    unit: str
    limit: float
    higher_is_better: bool
    note: str = ""

    @property
    def met(self) -> bool:
        return self.value >= self.limit if self.higher_is_better else self.value <= self.limit


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}".replace(",", " ")
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def render(rows: Sequence[Row | Absolute]) -> str:
    """The table as text, one line per figure."""
    lines = [
        f"{'figure':52} {'value':>12} {'baseline':>12} {'unit':6} {'ratio':>7} {'target':>8} {'met':5} note",
        "-" * 118,
    ]
    for row in rows:
        if isinstance(row, Row):
            met = {None: "-", True: "yes", False: "NO"}[row.met]
            lines.append(
                f"{row.figure:52} {_number(row.value):>12} {_number(row.baseline):>12} {row.unit:6} "
                f"{row.ratio:7.2f} {row.target_text():>8} {met:5} {row.note}"
            )
        else:
            limit = f"{'>=' if row.higher_is_better else '<='} {_number(row.limit)}"
            lines.append(
                f"{row.figure:52} {_number(row.value):>12} {'':>12} {row.unit:6} {'':>7} {limit:>8} "
                f"{'yes' if row.met else 'NO':5} {row.note}"
            )
    return "\n".join(lines)
