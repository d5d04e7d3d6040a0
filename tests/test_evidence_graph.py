"""leakguard.graph: objgraph draws the retention chain, only when the user asks."""

from __future__ import annotations

import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import leakguard
from leakguard._model.suspect import Suspect
from tests.helpers import LoadModule

SHOP = """
class OrderDTO:
    def __init__(self, n):
        self.n = n

_recent = [OrderDTO(i) for i in range(5)]
"""


def test_a_type_name_draws_the_chain_from_its_module(
    load_module: LoadModule, tmp_path: Path
) -> None:
    """The newest instance is drawn with the module, its global and the list that hold it."""
    mod = load_module(SHOP)
    path = leakguard.graph(f"{mod.__name__}.OrderDTO", tmp_path / "leak.dot")
    dot = path.read_text()
    assert dot.startswith("digraph ObjectGraph {")
    assert f'label="module\\n{mod.__name__}"' in dot
    assert 'label="_recent"' in dot
    assert 'label="OrderDTO\\n' in dot
    assert dot.count(" -> ") == 3  # module -> __dict__ -> _recent -> the instance


def test_the_file_is_private_and_written_whole(load_module: LoadModule, tmp_path: Path) -> None:
    """Labels show the program's data: the file is 0600 and no temporary file is left."""
    mod = load_module(SHOP)
    path = leakguard.graph(f"{mod.__name__}.OrderDTO", tmp_path / "leak.dot")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_a_container_suspect_is_drawn(load_module: LoadModule, tmp_path: Path) -> None:
    """A container suspect's name leads to the container itself."""
    mod = load_module(SHOP)
    suspect = Suspect(kind="container", name=f"builtins.list#{id(mod._recent):x}", count=5.0,
                      growth=5.0, rate_per_work=None, rate_per_minute=None, confidence=0.9,
                      first_seen=1)  # fmt: skip
    dot = leakguard.graph(suspect, tmp_path / "c.dot").read_text()
    assert 'label="list\\n5 items"' in dot and 'label="_recent"' in dot


def test_an_object_no_root_holds_gets_its_backrefs_drawn(tmp_path: Path) -> None:
    """With no root, objgraph's back-references of the object are drawn instead."""
    holder = {"kept": [1, 2, 3]}
    cycle: list[object] = [holder]
    holder["cycle"] = cycle
    dot = leakguard.graph(holder["kept"], tmp_path / "b.dot").read_text()
    assert 'label="list\\n3 items"' in dot and 'label="kept"' in dot
    assert 'label="list\\n1 items"' in dot  # the cycle, two levels up


def test_a_target_that_names_nothing_is_a_clear_error(tmp_path: Path) -> None:
    """A type with no live instance, or a memory suspect, raises ValueError saying which."""
    with pytest.raises(ValueError, match=r"no live object for 'no\.such\.Type' \(the target"):
        leakguard.graph("no.such.Type", tmp_path / "x.dot")
    memory = Suspect(kind="memory", name="rss", count=1.0, growth=1.0, rate_per_work=None,
                     rate_per_minute=None, confidence=0.9, first_seen=1)  # fmt: skip
    with pytest.raises(ValueError, match="a 'memory' suspect has no object to draw"):
        leakguard.graph(memory, tmp_path / "x.dot")
    assert not (tmp_path / "x.dot").exists()


def test_the_guard_never_uses_objgraph_on_its_own() -> None:
    """A guard that finds a leak and gathers its evidence never imports objgraph."""
    code = textwrap.dedent(
        """
        import sys
        import leakguard

        class OrderDTO:
            pass

        kept = []
        guard = leakguard.Guard(interval=None, log=False)
        for _ in range(40):
            kept.extend(OrderDTO() for _ in range(300))
            guard.sample()
        assert any(s.path for s in guard.suspects()), guard.suspects()
        print("objgraph" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"]
