"""Healthy: steady traffic with rare big export bursts whose (partly cyclic) temporaries are freed."""

from __future__ import annotations

from typing import Any

from benchmarks.scenarios._service import handle, make_request, rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
REQUESTS = 20
WORK = REQUESTS


class Row:
    """One row of an export, linked to its sheet (a cycle)."""

    def __init__(self, sheet: dict[str, Any], n: int) -> None:
        self.sheet = sheet
        self.cells = [n, f"item-{n}", n * 1.5]


_rng = rng_for(__name__)
_exports: list[int] = []


def _export(rows: int) -> int:
    sheet: dict[str, Any] = {"name": "orders", "rows": []}
    for n in range(rows):
        sheet["rows"].append(Row(sheet, n))
    return len(sheet["rows"])


def step(i: int) -> None:
    """Serve a batch; now and then somebody asks for a big export."""
    for k in range(REQUESTS):
        handle(make_request(_rng, i * REQUESTS + k))
    if _rng.random() < 0.1:
        _exports.append(_export(_rng.randint(3000, 8000)))
        del _exports[:-3]
