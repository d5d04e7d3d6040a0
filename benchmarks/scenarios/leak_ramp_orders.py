"""Leak: during a 10x traffic ramp, one ``AuditTrail`` per request is kept forever."""

from __future__ import annotations

from benchmarks.scenarios._kinds import ramp
from benchmarks.scenarios._service import handle, make_request, rng_for

LEAK = True
CULPRITS = ("type:*.AuditTrail", "container:builtins.list*")


def WORK(i: int) -> int:
    """Requests arriving during step ``i``."""
    return ramp(i, 6, 60, 60)


class AuditTrail:
    """What a request left behind."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.fields = {"n": n}


_trail: list[AuditTrail] = []
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve this step's arrivals, keeping a trail of each."""
    for k in range(WORK(i)):
        handle(make_request(_rng, i * 1000 + k))
        _trail.append(AuditTrail(i * 1000 + k))


def teardown() -> None:
    """Drop the trail."""
    _trail.clear()
