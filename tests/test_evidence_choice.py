"""Which instances evidence examines: those born at the leak's line, never older bystanders."""

from __future__ import annotations

from leakguard._config import Options
from leakguard._evidence.gather import Evidence
from tests.helpers import LoadModule, suspect

PAYMENTS = """
_pending = {}

def register(n):
    for i in range(n):
        def on_settled(outcome, i=i, n=n):
            return (i, n, outcome)
        _pending[i] = on_settled
"""

BYSTANDER = """
_hooks = []

def add(n):
    for i in range(n):
        _hooks.append(lambda: (i, n))
"""


def test_the_path_follows_an_instance_born_at_the_top_site(load_module: LoadModule) -> None:
    """Newer functions born elsewhere do not lead the path away from the leak's line."""
    leak, bystander = load_module(PAYMENTS), load_module(BYSTANDER)
    evidence = Evidence(Options())
    evidence.watch([suspect("type", "builtins.function")])
    try:
        leak.register(300)
        bystander.add(20)  # the newest functions, but not the leak
        (out,) = evidence.enrich([suspect("type", "builtins.function", 300)])
    finally:
        evidence.close()
        leak._pending.clear()
    assert (out.sites[0].filename, out.sites[0].lineno) == (leak.__file__, 6)
    assert out.path[:2] == (f"{leak.__name__} (module)", "_pending (dict)")


def test_a_stdlib_type_with_no_instance_born_while_tracing_gets_no_path() -> None:
    """When every live cell predates the window, no bystander's path is shown, a note says why."""
    evidence = Evidence(Options())
    evidence.watch([suspect("type", "builtins.cell")])
    try:
        (out,) = evidence.enrich([suspect("type", "builtins.cell", 100)])
    finally:
        evidence.close()
    assert out.path == ()
    assert out.deep_size is None
    assert out.notes == (
        "no allocation site or path: none of its instances was born while tracing",
    )
