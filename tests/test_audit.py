"""leakguard.audit(): one look at the heap names what is big and what can only grow."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

import leakguard
from tests.helpers import LoadModule

CACHES = """
import collections, functools

class OrderDTO:
    pass

orders = {i: OrderDTO() for i in range(3000)}
log = collections.deque()
log.extend(range(2500))
recent = collections.deque(maxlen=4000)
recent.extend(range(4000))

@functools.cache
def price(n):
    return [n]

@functools.lru_cache(maxsize=128)
def bounded(n):
    return [n]

class Shop:
    @functools.lru_cache(maxsize=None)
    def total(self, n):
        return n

for i in range(40):
    price(i)
    bounded(i)
shop = Shop()
for i in range(5):
    shop.total(i)
"""


def _flags(audit: leakguard.Audit, module: str) -> dict[str, str]:
    return {h.path[-1]: h.flag for h in audit.flagged if h.path[0] == f"{module} (module)"}


def test_audit_names_the_most_numerous_type_and_its_holder(load_module: LoadModule) -> None:
    """The program's own type tops the count table, and its dict is followed to the module."""
    mod = load_module(CACHES)
    audit = leakguard.audit(top=20, seconds=30)
    names = [r.name for r in audit.by_count]
    assert f"{mod.__name__}.OrderDTO" in names
    held = [h for h in audit.containers if h.length == 3000 and h.type == "builtins.dict"]
    assert held and held[0].path == (f"{mod.__name__} (module)", "orders (dict)")


def test_audit_flags_containers_that_can_only_grow(load_module: LoadModule) -> None:
    """functools.cache, an unbounded method cache, a deque without maxlen and a big dict are
    flagged; a bounded lru_cache and a deque with maxlen are not."""
    mod = load_module(CACHES)
    flags = _flags(leakguard.audit(top=1000, min_size=2000), mod.__name__)
    assert flags["price (_lru_cache_wrapper)"] == "unbounded cache"
    assert flags["total (_lru_cache_wrapper)"] == "unbounded cache on a method"
    assert flags["log (deque)"] == "unbounded deque"
    assert flags["orders (dict)"] == "big module-level dict"
    assert "bounded (_lru_cache_wrapper)" not in flags
    assert "recent (deque)" not in flags


def test_audit_reports_the_bound_of_a_bounded_deque(load_module: LoadModule) -> None:
    """A deque with maxlen among the biggest containers carries its bound."""
    load_module(CACHES)
    # A budget no loaded machine exhausts: a container past the budget is listed bare.
    bounds = {h.length: h.bound for h in leakguard.audit(top=30, seconds=30).containers}
    assert bounds.get(4000) == 4000


HOSTILE = """
class Meta(type):
    calls = []
    def __hash__(cls):
        Meta.calls.append("hash")
        raise RuntimeError("metaclass hash")
    def __eq__(cls, other):
        Meta.calls.append("eq")
        raise RuntimeError("metaclass eq")
    @property
    def __name__(cls):
        Meta.calls.append("name")
        raise RuntimeError("metaclass name")

class Hostile(dict, metaclass=Meta):
    def __len__(self):
        Meta.calls.append("len")
        raise RuntimeError("len")
    def __repr__(self):
        Meta.calls.append("repr")
        raise RuntimeError("repr")

big = Hostile((i, i) for i in range(5000))
many = [Hostile() for _ in range(3000)]
"""


def test_audit_runs_no_code_of_the_program(load_module: LoadModule) -> None:
    """Hostile __hash__, __eq__, __name__, __len__ and __repr__ are never called."""
    mod = load_module(HOSTILE)
    audit = leakguard.audit(top=50, min_size=1000)
    assert mod.Meta.calls == []
    assert f"{mod.__name__}.Hostile" in [r.name for r in audit.by_count]


def test_audit_keeps_no_reference_to_what_it_saw(load_module: LoadModule) -> None:
    """An object the audit followed is freed once the program drops it."""
    mod = load_module(CACHES)
    ref = weakref.ref(mod.orders[0])
    leakguard.audit(top=20)
    mod.orders.clear()
    gc.collect()
    assert ref() is None


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [({"top": 0}, "top"), ({"min_size": 1.5}, "min_size"), ({"seconds": float("inf")}, "seconds")],
)
def test_audit_refuses_bad_arguments(kwargs: dict[str, object], named: str) -> None:
    """An argument out of range is one ValueError naming it."""
    with pytest.raises(ValueError, match=f"audit\\({named}="):
        leakguard.audit(**kwargs)  # type: ignore[arg-type]


def test_audit_renders_as_text_and_json(load_module: LoadModule) -> None:
    """The text names each table; the JSON is versioned and says it is an audit."""
    load_module(CACHES)
    audit = leakguard.audit(top=5)
    text = audit.to_text()
    assert text.startswith(f"leakguard audit for pid {audit.pid}:")
    assert "can only grow:" in text and "most objects:" in text
    data = json.loads(audit.to_json())
    assert data["kind"] == "audit" and data["schema"] == 1
    assert len(data["by_count"]) == 5


def test_run_with_audit_prints_it_at_exit_and_adds_it_to_the_html(tmp_path: Path) -> None:
    """`leakguard run --audit` looks at the heap while the program's globals live."""
    (tmp_path / "app.py").write_text(
        "import functools\n"
        "@functools.cache\n"
        "def load(n):\n    return [n]\n"
        "for i in range(300):\n    load(i)\n"
    )
    env = {**os.environ, "LEAKGUARD_EVIDENCE": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "leakguard", "run", "--audit", "--html", "r.html", "app.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    audit_text = done.stderr.split("leakguard: audit at exit\n", 1)[1]
    assert "unbounded cache: functools._lru_cache_wrapper (300 items)" in audit_text
    assert "held by __main__ (module) → load (_lru_cache_wrapper)" in audit_text
    page = (tmp_path / "r.html").read_text()
    assert "<h2>Audit</h2>" in page and "unbounded cache" in page


def test_html_audit_section_escapes_names() -> None:
    """A type name carrying markup is escaped in the HTML audit section."""
    from leakguard._model.audit import Audit, TypeRow
    from leakguard._model.report import Report

    row = TypeRow("<script>x</script>", 1, 8)
    audit = Audit(1, 0.0, 1, (row,), (row,), (), (), 0.01)
    page = Report(suspects=()).to_html(audit)
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
