"""Referents walks never traverse module objects (CPython gh-122695: _asyncio's free list)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import types
from pathlib import Path

import leakguard
from leakguard._census.safe import referents


def test_a_module_has_no_referents_for_leakguard() -> None:
    """referents() skips module objects and keeps every other object's referents."""
    mod = types.ModuleType("m")
    holder = [mod, "x"]
    assert referents(mod) == []
    assert {id(r) for r in referents(holder, mod)} == {id(mod), id(holder[1])}


def test_asking_for_the_asyncio_modules_referents_leaves_the_collector_working() -> None:
    """The CPython 3.12.1 reproducer of gh-122695, through referents(), still collects."""
    code = textwrap.dedent(
        """
        import asyncio, gc, sys
        from leakguard._census.safe import referents

        async def main():
            loop = asyncio.get_running_loop()
            for _ in range(50):
                fut = loop.create_future()
                fut.set_result(1)
                await fut  # iterates the future: a FutureIter goes to the free list
        asyncio.run(main())
        held = referents(sys.modules["_asyncio"], [sys.modules["_asyncio"]])
        del held
        gc.collect()  # loops forever on 3.12.1 after gc.get_referents(_asyncio)
        print("collected")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.stdout.strip() == "collected", done.stderr


def test_no_module_of_leakguard_calls_gc_get_referents_directly() -> None:
    """Every referents walk goes through the safe wrapper."""
    package = Path(leakguard.__file__).parent
    offenders = [
        p.name
        for p in package.glob("*.py")
        if p.name != "_gcsafe.py" and "gc.get_referents(" in p.read_text()
    ]
    assert offenders == []
