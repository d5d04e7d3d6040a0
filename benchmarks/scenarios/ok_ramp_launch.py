"""Healthy: a launch: traffic ramps 10x over 30 steps, then holds; connection state follows it."""

from __future__ import annotations

from benchmarks.scenarios._kinds import ramp
from benchmarks.scenarios._service import handle, make_request, rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()


def WORK(i: int) -> int:
    """Requests arriving during step ``i``."""
    return ramp(i, 8, 80, 30)


class Connection:
    """State of one request in flight (answered during the next step)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.headers = {"x-n": str(n)}


_in_flight: list[Connection] = []
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Answer what was in flight, then accept this step's arrivals."""
    for conn in _in_flight:
        handle(make_request(_rng, conn.n))
    _in_flight.clear()
    _in_flight.extend(Connection(i * 1000 + k) for k in range(WORK(i)))


def teardown() -> None:
    """Drop what is in flight."""
    _in_flight.clear()
