"""Leak: metric samples (a ``__slots__`` class) buffered per series; one series is never drained."""

from __future__ import annotations

from collections import defaultdict

from benchmarks.scenarios._service import handle, make_request, rng_for

LEAK = True
CULPRITS = ("type:*.MetricSample", "container:builtins.list*")
REQUESTS = 20
WORK = REQUESTS


class MetricSample:
    """One observation of a metric."""

    __slots__ = ("labels", "name", "seq", "value")

    def __init__(self, name: str, value: float, labels: tuple[str, ...], seq: int) -> None:
        self.name = name
        self.value = value
        self.labels = labels
        self.seq = seq


_LABELS = ("POST", "/orders", "200")
_buffers: defaultdict[str, list[MetricSample]] = defaultdict(list)
# The bug: the exporter only knows the latency series; response sizes pile up.
_EXPORTED = ("http_latency_ms",)
_rng = rng_for(__name__)


def _export() -> str:
    lines = []
    for name in _EXPORTED:
        samples = _buffers[name]
        lines.append(f"{name} {sum(s.value for s in samples) / max(len(samples), 1):.3f}")
        samples.clear()
    return "\n".join(lines)


def step(i: int) -> None:
    """Serve a batch, observing latency and response size, then export."""
    for k in range(REQUESTS):
        req = make_request(_rng, i * REQUESTS + k)
        resp = handle(req)
        seq = i * REQUESTS + k
        _buffers["http_latency_ms"].append(MetricSample("http_latency_ms", 3.5, _LABELS, seq))
        size = float(len(resp.body))
        _buffers["http_response_bytes"].append(
            MetricSample("http_response_bytes", size, _LABELS, seq)
        )
    _export()


def teardown() -> None:
    """Drop all buffers."""
    _buffers.clear()
