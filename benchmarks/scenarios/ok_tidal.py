"""Healthy: request handling that builds many temporaries and frees them all."""

from __future__ import annotations

from benchmarks.scenarios._service import rng_for, serve

LEAK = False
CULPRITS: tuple[str, ...] = ()
REQUESTS = 20
WORK = REQUESTS

_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch and build a throwaway summary of it."""
    responses = serve(_rng, i * REQUESTS, REQUESTS)
    summary = [
        {"status": r.status, "size": len(r.body), "parts": r.body.split(",")} for r in responses
    ]
    index = dict(enumerate(summary))
    del summary, index, responses
