"""Healthy: a cachetools-like memo of its own (``__maxsize``, ``__data``), 32 renders a step: full at 22.

It evicts the oldest entry once ``len(data) == maxsize``; its cap is only in a
private attribute, as cachetools keeps ``_Cache__maxsize``.
"""

from __future__ import annotations

from benchmarks.scenarios._kinds import REQUESTS, serve_batch
from benchmarks.scenarios._service import rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
WORK = REQUESTS


class Invoice:
    """A rendered invoice."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.html = {"n": n, "rows": [n]}


class Memo:
    """A capped memo: a dict and a size limit, evicting the oldest entry when full."""

    def __init__(self, maxsize: int) -> None:
        self.__maxsize = maxsize
        self.__data: dict[int, Invoice] = {}

    def get(self, key: int) -> Invoice:
        """The cached invoice, rendered on a miss."""
        found = self.__data.get(key)
        if found is None:
            if len(self.__data) >= self.__maxsize:
                del self.__data[next(iter(self.__data))]
            found = self.__data[key] = Invoice(key)
        return found

    def clear(self) -> None:
        """Forget everything."""
        self.__data.clear()


_memo = Memo(700)
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch, rendering 32 never-seen invoices."""
    for k in range(32):
        _memo.get(i * 32 + k)
    serve_batch(_rng, i)


def teardown() -> None:
    """Empty the memo."""
    _memo.clear()
