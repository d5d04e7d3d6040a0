"""A small order service with a memory leak, and leakguard catching it.

Run it from a checkout after ``python -m pip install .``::

    python examples/leaky_service.py

An HTTP server on 127.0.0.1 "processes orders" posted to it by a load
generator thread. Each request builds an ``OrderDTO`` and a handful of
temporaries that die with the request, which is healthy. A bug keeps every
``OrderDTO`` in the module-level ``_recent`` list, which is the leak. The guard
samples twice a second (a demo's pace, see main()), counts each request as one unit of work with
``leakguard.tick()``, and calls the ``on_leak`` hook, which prints the report
and shuts the service down. Exit status: 0 when the leak was caught, 1 when
nothing was caught before the timeout.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import random
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import leakguard

log = logging.getLogger("orders")
CATALOGUE = {f"SKU-{i:04d}": round(1.5 + (i % 37) * 0.75, 2) for i in range(500)}


@dataclass
class OrderLine:
    """One line of an order."""

    sku: str
    quantity: int
    unit_price: float


@dataclass
class OrderDTO:
    """An order as the service hands it to the rest of the system."""

    order_id: int
    customer: str
    lines: list[OrderLine] = field(default_factory=list)
    total: float = 0.0


# The bug: "keep the last orders around for the debug page", but nothing ever trims it.
_recent: list[OrderDTO] = []


@functools.lru_cache(maxsize=128)
def price_of(sku: str) -> float:
    """Look a price up; a bounded cache, which fills and then stays level (not a leak)."""
    return CATALOGUE[sku]


def process_order(payload: dict[str, Any]) -> OrderDTO:
    """Turn a posted order into an OrderDTO, with the temporaries real code makes."""
    lines = [OrderLine(sku, int(qty), price_of(sku)) for sku, qty in payload["lines"]]
    audit = {"skus": ",".join(line.sku for line in lines), "id": payload["id"]}
    order = OrderDTO(int(payload["id"]), str(payload["customer"]), lines)
    order.total = round(sum(line.quantity * line.unit_price for line in lines), 2)
    log.debug("order %(id)s: %(skus)s", audit)
    _recent.append(order)
    return order


class OrderHandler(BaseHTTPRequestHandler):
    """POST /orders: process one order and answer with its total."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        order = process_order(json.loads(self.rfile.read(length)))
        body = json.dumps({"id": order.order_id, "total": order.total}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        leakguard.tick()

    def log_message(self, format: str, *args: object) -> None:
        """Keep the demo's output to the report (no access log)."""


def generate_load(url: str, stop: threading.Event, done: threading.Event) -> None:
    """Post small orders until told to stop, one at a time, each with a timeout."""
    try:
        _post_orders(url, stop)
    except Exception as exc:
        print(f"load generator failed: {exc!r}", file=sys.stderr, flush=True)
        done.set()


def _post_orders(url: str, stop: threading.Event) -> None:
    rng = random.Random(42)
    skus = list(CATALOGUE)
    order_id = 0
    while not stop.is_set():
        order_id += 1
        lines = [[rng.choice(skus), rng.randint(1, 5)] for _ in range(rng.randint(1, 4))]
        data = json.dumps({"id": order_id, "customer": f"c{order_id % 97}", "lines": lines})
        request = urllib.request.Request(
            url, data=data.encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                response.read()
        except (urllib.error.URLError, OSError):
            if stop.is_set():
                return
            raise
        # Pace the load: a steady trickle, not a benchmark of the HTTP stack.
        stop.wait(0.002)


class OrderService:
    """The HTTP server and its load generator, each on its own thread."""

    def __init__(self, done: threading.Event) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), OrderHandler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/orders"
        self.stop_load = threading.Event()
        self.threads = [
            threading.Thread(target=self.server.serve_forever, name="orders-http"),
            threading.Thread(
                target=generate_load, args=(self.url, self.stop_load, done), name="orders-load"
            ),
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def shutdown(self) -> None:
        """Stop the load first, then the server, and wait for both threads."""
        self.stop_load.set()
        self.threads[1].join()
        self.server.shutdown()
        self.threads[0].join()
        self.server.server_close()


def main(argv: list[str] | None = None) -> int:
    """Serve orders under the guard until the leak is reported or the timeout passes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=60.0, help="give up after this long")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between samples")
    args = parser.parse_args(argv)
    caught, done = threading.Event(), threading.Event()

    @leakguard.on_leak
    def report_and_stop(report: leakguard.Report) -> None:
        # Called from the guard's thread: print the first report, then let main() shut down.
        if caught.is_set():
            return
        print(report.to_text(), flush=True)
        caught.set()
        done.set()

    # Production defaults are interval=10 s and budget=1%. This demo samples every 0.5 s so
    # that it ends within seconds, and at that pace 1% would allow only 5 ms per sample:
    # it lets the guard take up to 10% of wall time instead.
    leakguard.start(interval=args.interval, budget=0.1)
    service = OrderService(done)
    service.start()
    print(f"serving orders on {service.url}; leakguard samples every {args.interval}s", flush=True)
    try:
        done.wait(args.timeout)
    finally:
        service.shutdown()
        leakguard.stop()
    if not caught.is_set():
        why = "the load stopped" if done.is_set() else f"{args.timeout:.0f}s passed"
        print(f"no leak reported: {why}; {len(_recent)} orders kept", file=sys.stderr)
        return 1
    print(f"caught it: {len(_recent)} orders were kept in _recent", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
