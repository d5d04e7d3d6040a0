"""Healthy: a fixed thread pool and a fixed connection pool, reused by every request."""

from __future__ import annotations

import queue
from concurrent.futures import ThreadPoolExecutor

from benchmarks.scenarios._service import Request, Response, handle, make_request, rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
REQUESTS = 20
WORK = REQUESTS


class Connection:
    """A database connection, expensive to open and therefore pooled."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.statements: dict[str, str] = {}
        self.queries = 0

    def execute(self, sql: str) -> int:
        """Run a statement (prepared once per connection)."""
        self.statements.setdefault(sql, sql.upper())
        self.queries += 1
        return self.queries


class Scenario:
    """Request handlers run on a thread pool and borrow pooled connections."""

    def setup(self) -> None:
        """Open the pools."""
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="worker")
        self.connections: queue.Queue[Connection] = queue.Queue()
        for n in range(8):
            self.connections.put(Connection(f"postgresql://db/{n}"))
        self.rng = rng_for(__name__)

    def _work(self, req: Request) -> Response:
        conn = self.connections.get()
        try:
            conn.execute("select price from items where sku = %s")
            return handle(req)
        finally:
            self.connections.put(conn)

    def step(self, i: int) -> None:
        """Serve a batch on the pool and wait for it."""
        reqs = [make_request(self.rng, i * REQUESTS + k) for k in range(REQUESTS)]
        futures = [self.executor.submit(self._work, req) for req in reqs]
        for fut in futures:
            fut.result()

    def teardown(self) -> None:
        """Shut the pools down."""
        self.executor.shutdown(wait=True)
