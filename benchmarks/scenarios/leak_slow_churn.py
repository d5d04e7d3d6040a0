"""Leak: one connection record kept per step, amid thousands of temporaries and cyclic garbage."""

from __future__ import annotations

from typing import Any

from benchmarks.scenarios._service import handle, make_request, rng_for

LEAK = True
CULPRITS = ("type:*.ConnectionRecord", "container:builtins.list*")
REQUESTS = 40
WORK = REQUESTS


class ConnectionRecord:
    """Bookkeeping for one upstream connection."""

    def __init__(self, peer: str, opened: int) -> None:
        self.peer = peer
        self.opened = opened
        self.bytes_sent = 0


class Node:
    """A node of a per-request parse tree; parent and children point at each other."""

    def __init__(self, tag: str, parent: Node | None) -> None:
        self.tag = tag
        self.parent = parent
        self.children: list[Node] = []
        self.attrs: dict[str, Any] = {"depth": 0 if parent is None else 1}
        if parent is not None:
            parent.children.append(self)


# The bug: closed connections are moved here "for stats" and never dropped.
_closed: list[ConnectionRecord] = []
_rng = rng_for(__name__)


def _parse_document(size: int) -> int:
    root = Node("root", None)
    for n in range(size):
        Node(f"item{n}", root if n % 3 else root.children[-1] if root.children else root)
    return len(root.children)


def step(i: int) -> None:
    """Serve a heavy batch with cyclic temporaries; keep one closed connection's record."""
    for k in range(REQUESTS):
        req = make_request(_rng, i * REQUESTS + k)
        handle(req)
        _parse_document(_rng.randint(20, 60))
    rows = [{"id": n, "tags": [n, n + 1], "key": (n, "x")} for n in range(1500)]
    del rows
    _closed.append(ConnectionRecord(f"10.0.{i % 250}.{_rng.randint(1, 250)}:5432", i))


def teardown() -> None:
    """Drop the records."""
    _closed.clear()
