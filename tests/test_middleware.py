"""WSGI/ASGI middleware counts work, and a real gunicorn's forked workers get fresh guards."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leakguard import ASGIMiddleware, WSGIMiddleware


def test_wsgi_middleware_ticks_once_per_request_and_passes_the_response() -> None:
    """Each call counts one unit of work and returns the app's own body."""
    ticks: list[int] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b"ok"]

    wrapped = WSGIMiddleware(app, tick=ticks.append)
    bodies = [wrapped({}, lambda *a: None) for _ in range(3)]
    assert ticks == [1, 1, 1] and bodies == [[b"ok"]] * 3


def test_asgi_middleware_counts_http_requests_not_lifespan() -> None:
    """HTTP scopes count as work; lifespan events do not."""
    ticks: list[int] = []
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    wrapped = ASGIMiddleware(app, tick=ticks.append)

    async def drive() -> None:
        for kind in ("lifespan", "http", "http", "websocket"):
            await wrapped({"type": kind}, None, None)  # type: ignore[arg-type]

    asyncio.run(drive())
    assert ticks == [1, 1, 1] and seen == ["lifespan", "http", "http", "websocket"]


APP = """
import json, os, threading
import leakguard

class OrderDTO:
    def __init__(self, n):
        self.n = n

_recent = []
OUT = os.environ["LG_OUT"]

@leakguard.on_leak
def record(report):
    names = [s.name for s in report.suspects]
    path = os.path.join(OUT, f"leak-{os.getpid()}.json")
    with open(path + ".tmp", "w") as f:
        json.dump(names, f)
    os.replace(path + ".tmp", path)

leakguard.start(interval=0.05, budget=0.5, evidence=os.environ["LG_EVIDENCE"] == "1")
MASTER = os.getpid()

def app(environ, start_response):
    for i in range(20):
        _recent.append(OrderDTO(i))
    g = leakguard.current()
    body = json.dumps({"pid": os.getpid(), "master": MASTER,
                       "guard_pid": g._pid, "running": g.running}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]

app = leakguard.WSGIMiddleware(app)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["preload", "lazy"])
def gunicorn(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, Path, bool]]:
    """A real gunicorn with two workers serving a leaking app on loopback: the app imported
    in the master and forked (``--preload``, evidence off), or imported by each worker
    (evidence on)."""
    if shutil.which("gunicorn") is None and not _importable("gunicorn"):
        pytest.skip("gunicorn is not installed (pip install gunicorn)")
    (tmp_path / "leaky_app.py").write_text(textwrap.dedent(APP))
    out = tmp_path / "out"
    out.mkdir()
    port = _free_port()
    preload = request.param == "preload"
    env = {**os.environ, "LG_OUT": str(out), "PYTHONPATH": str(tmp_path)}
    env["LG_EVIDENCE"] = "0" if preload else "1"
    cmd = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}"]
    cmd += ["--preload"] if preload else []
    proc = subprocess.Popen(
        [*cmd, "leaky_app:app"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for(url, proc)
        yield url, out, preload
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _wait_for(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not answer within 60 s")


def _reported(out: Path) -> dict[int, list[str]]:
    return {int(p.stem.split("-")[1]): json.loads(p.read_text()) for p in out.glob("leak-*.json")}


def test_gunicorn_workers_get_a_fresh_guard_and_every_one_catches_the_leak(
    gunicorn: tuple[str, Path, bool],
) -> None:
    """Each worker runs its own guard (a fresh one after a fork), and every worker that
    served requests reports OrderDTO from its own process, not only the first."""
    url, out, preload = gunicorn
    answers = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        answers.append(json.loads(urllib.request.urlopen(url, timeout=5).read()))
        workers = {a["pid"] for a in answers}
        if len(workers) == 2 and workers <= set(_reported(out)):
            break
        time.sleep(0.005)
    if preload:  # the guard was started in the master, before the fork
        assert all(a["pid"] != a["master"] for a in answers)
    assert all(a["guard_pid"] == a["pid"] and a["running"] for a in answers)
    reported = _reported(out)
    assert len(workers) == 2, f"one worker served all {len(answers)} requests"
    assert workers <= set(reported), f"workers {workers}, reports from {set(reported)}"
    for names in reported.values():
        assert any(name.endswith("leaky_app.OrderDTO") for name in names), names
