"""Prometheus metrics: a real registry, a real endpoint and, if installed, a real Prometheus."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import textwrap
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

prometheus_client = pytest.importorskip("prometheus_client")
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

import leakguard  # noqa: E402
from leakguard import Guard  # noqa: E402


class OrderDTO:
    """A leaked object."""


@pytest.fixture
def leaking_guard() -> Iterator[Guard]:
    """A manual guard that has confirmed a leak of OrderDTO."""
    kept: list[OrderDTO] = []
    with Guard(interval=None, evidence=False) as g:
        for _ in range(14):
            kept.extend(OrderDTO() for _ in range(30))
            g.sample()
        assert g.suspects()
        yield g


def _scrape(registry: object) -> dict[str, list[tuple[dict[str, str], float]]]:
    text = prometheus_client.generate_latest(registry).decode()
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples.setdefault(s.name, []).append((s.labels, s.value))
    return samples


def test_a_scrape_exports_suspects_and_process_signals(leaking_guard: Guard) -> None:
    """The registry's exposition has the suspect with its labels, and the process gauges."""
    registry = prometheus_client.CollectorRegistry()
    leakguard.register_metrics(registry, guard=leaking_guard)
    samples = _scrape(registry)
    assert samples["leakguard_suspects"][0][1] >= 1
    names = {labels["name"] for labels, _ in samples["leakguard_suspect_level"]}
    assert f"{__name__}.OrderDTO" in names
    assert samples["leakguard_rss_bytes"][0][1] > 0
    assert samples["leakguard_samples_total"][0][1] == 14


def test_nothing_is_exported_while_no_process_guard_runs() -> None:
    """Without a guard argument and before start(), a scrape has no leakguard metrics."""
    registry = prometheus_client.CollectorRegistry()
    leakguard.register_metrics(registry)
    assert _scrape(registry) == {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_real_prometheus_scrapes_the_suspects(leaking_guard: Guard, tmp_path: Path) -> None:
    """Prometheus on loopback scrapes the exporter and answers a query for the suspect."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("the prometheus server is not installed (Debian package 'prometheus')")
    registry = prometheus_client.CollectorRegistry()
    leakguard.register_metrics(registry, guard=leaking_guard)
    exporter_port, prom_port = _free_port(), _free_port()
    server, thread = prometheus_client.start_http_server(
        exporter_port, addr="127.0.0.1", registry=registry
    )
    config = tmp_path / "prometheus.yml"
    config.write_text(
        textwrap.dedent(f"""\
        global:
          scrape_interval: 1s
        scrape_configs:
          - job_name: leakguard
            static_configs:
              - targets: ["127.0.0.1:{exporter_port}"]
        """)
    )
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        query = urllib.parse.quote('leakguard_suspect_level{kind="type"}')
        url = f"http://127.0.0.1:{prom_port}/api/v1/query?query={query}"
        found = _poll(url, proc)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        server.shutdown()
        thread.join(timeout=5)
    assert any(r["metric"]["name"].endswith(".OrderDTO") for r in found)


def _poll(url: str, proc: subprocess.Popen[bytes]) -> list[dict[str, dict[str, str]]]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, "prometheus exited"
        try:
            answer = json.loads(urllib.request.urlopen(url, timeout=5).read())
            if answer["data"]["result"]:
                return list(answer["data"]["result"])
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError("prometheus never returned the leakguard series")
