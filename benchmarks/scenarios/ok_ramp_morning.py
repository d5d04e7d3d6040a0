"""Healthy: morning traffic ramps 10x over the run (6 to 60 requests a step); in-flight state follows it."""

from __future__ import annotations

from benchmarks.scenarios._kinds import ramp
from benchmarks.scenarios._service import handle, make_request, rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()


def WORK(i: int) -> int:
    """Requests arriving during step ``i``."""
    return ramp(i, 6, 60, 60)


class InFlight:
    """State of one request in flight (answered during the next step)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.headers = {"x-n": str(n)}


_in_flight: list[InFlight] = []
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Answer what was in flight, then accept this step's arrivals."""
    for conn in _in_flight:
        handle(make_request(_rng, conn.n))
    _in_flight.clear()
    _in_flight.extend(InFlight(i * 1000 + k) for k in range(WORK(i)))


def teardown() -> None:
    """Drop what is in flight."""
    _in_flight.clear()
