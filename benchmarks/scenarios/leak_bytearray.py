"""Leak: a long-lived connection's receive buffer appends every frame and never drops consumed bytes.

One bytearray grows; no object count changes. Only memory (and the buffer's size) shows it.
"""

from __future__ import annotations

from benchmarks.scenarios._service import handle, make_request, rng_for

LEAK = True
CULPRITS = ("memory:*", "type:*.bytearray", "site:*leak_bytearray.py:*")
REQUESTS = 20
WORK = REQUESTS


class Connection:
    """A persistent upstream connection with a frame parser."""

    def __init__(self) -> None:
        self.rx = bytearray()
        self.pos = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        """Append received bytes and return the complete frames."""
        self.rx += chunk
        frames = []
        while len(self.rx) - self.pos >= 4:
            size = int.from_bytes(self.rx[self.pos : self.pos + 4], "big")
            if len(self.rx) - self.pos - 4 < size:
                break
            frames.append(bytes(self.rx[self.pos + 4 : self.pos + 4 + size]))
            # The bug: advances the read position but never deletes rx[:pos].
            self.pos += 4 + size
        return frames


_conn = Connection()
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch; each request's attachment arrives as one frame on the connection."""
    for k in range(REQUESTS):
        req = make_request(_rng, i * REQUESTS + k)
        handle(req)
        blob = _rng.randbytes(_rng.randint(8 * 1024, 40 * 1024))
        _conn.feed(len(blob).to_bytes(4, "big") + blob)


def teardown() -> None:
    """Release the buffer."""
    _conn.rx = bytearray()
