"""Healthy: every request builds reference cycles that only the cyclic gc reclaims.

A request and its handler point at each other, a parse tree has parent links, and
an error path keeps its exception (and through the traceback, the frame). The
scenario never calls ``gc.collect()``: the collector runs on its own thresholds.
"""

from __future__ import annotations

from typing import Any

from benchmarks.scenarios._service import Request, handle, make_request, rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
REQUESTS = 20
WORK = REQUESTS


class Handler:
    """A per-request handler that points back at its request context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.middleware: list[Any] = [self.ctx, {"handler": self}]


class Context:
    """Per-request context; owns its handler, which owns it back."""

    def __init__(self, req: Request) -> None:
        self.req = req
        self.handler = Handler(self)
        self.tree: list[TreeNode] = []


class TreeNode:
    """A node of the parsed body, linked to its parent."""

    def __init__(self, parent: TreeNode | None, label: str) -> None:
        self.parent = parent
        self.children: list[TreeNode] = []
        self.label = label
        if parent is not None:
            parent.children.append(self)


_rng = rng_for(__name__)


def _serve_one(req: Request) -> int:
    ctx = Context(req)
    root = TreeNode(None, "body")
    for n in range(_rng.randint(5, 30)):
        ctx.tree.append(TreeNode(root, f"field{n}"))
    try:
        if req.request_id % 7 == 0:
            raise ValueError(f"bad field in {req.headers['x-request-id']}")
        return handle(req).status
    except ValueError as exc:
        ctx.handler.middleware.append(exc)
        return 400


def step(i: int) -> None:
    """Serve a batch."""
    for k in range(REQUESTS):
        _serve_one(make_request(_rng, i * REQUESTS + k))
