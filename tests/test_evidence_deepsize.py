"""How big: pympler's asizeof where it cannot run the program's code, leakguard's walk elsewhere."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref
from typing import Any

import pympler.asizeof
import pytest

from leakguard._heap.deepsize import DEEP_SIZE_NODES, deep_size, measure, measure_for_report

PYMPLER = "deep size by pympler.asizeof"


class Slotted:
    """A class pympler can size without running any of its code."""

    __slots__ = ("name", "payload")

    def __init__(self, name: str, payload: list[bytes]) -> None:
        self.name = name
        self.payload = payload


class Hostile:
    """Every hook pympler could trigger records the call and lies."""

    calls: list[str] = []

    def __init__(self) -> None:
        object.__setattr__(self, "payload", [b"x" * 64])

    def __getattr__(self, name: str) -> Any:
        Hostile.calls.append(f"getattr {name}")
        raise AttributeError(name)

    def __sizeof__(self) -> int:
        Hostile.calls.append("sizeof")
        return 10**9

    def __len__(self) -> int:
        Hostile.calls.append("len")
        return 10**9


class Items(dict):  # type: ignore[type-arg]
    """A dict subclass whose items() is the program's code."""

    calls: list[str] = []

    def items(self) -> Any:
        Items.calls.append("items")
        return super().items()


class Meta(type):
    """A metaclass that runs code when a class attribute is missing."""

    calls: list[str] = []

    def __getattr__(cls, name: str) -> Any:
        Meta.calls.append(name)
        raise AttributeError(name)


class WithMeta(metaclass=Meta):
    """A class whose metaclass pympler would consult."""


class Empty:
    """Instances with no attribute have no __dict__ until someone reads it."""


def test_builtin_and_slotted_samples_are_sized_by_pympler() -> None:
    """Objects whose types cannot run Python code are measured by pympler.asizeof itself."""
    sample = [Slotted(f"n{i}", [b"x" * 100, b"y" * 50]) for i in range(4)]
    size, how = measure(sample)
    assert how == PYMPLER
    assert size == pympler.asizeof.asizeof(*sample)


def test_hostile_hooks_fall_back_to_the_own_walk_and_are_never_called() -> None:
    """A class defining __getattr__/__sizeof__/__len__ is walked by leakguard, with no call."""
    Hostile.calls.clear()
    size, how = measure([Hostile(), Hostile()])
    assert Hostile.calls == []
    assert how.startswith("deep size by leakguard's own walk (")
    assert size is not None and size < 10_000


def test_a_dict_subclass_with_its_own_items_is_not_iterated_by_pympler() -> None:
    """pympler would call items() on a dict subclass: the own walk measures it instead."""
    Items.calls.clear()
    _, how = measure([Items(a=[1, 2, 3])])
    assert Items.calls == []
    assert "Items defines items" in how


def test_a_metaclass_hook_reached_through_a_class_attribute_is_never_called() -> None:
    """A class held by the sample is looked at through its metaclass: one with hooks is avoided."""
    Meta.calls.clear()
    _, how = measure([[WithMeta, "payload"]])
    assert Meta.calls == []
    assert "Meta defines __getattr__" in how


def test_sizing_never_gives_an_instance_a_dict_it_did_not_have() -> None:
    """Reading __dict__ would create one (and count it): such samples use the own walk."""
    sample = [Empty(), Empty()]
    before = [sorted(type(r).__name__ for r in gc.get_referents(o)) for o in sample]
    _, how = measure(sample)
    after = [sorted(type(r).__name__ for r in gc.get_referents(o)) for o in sample]
    assert after == before
    assert "would create the __dict__ of Empty instances" in how


def test_pymplers_caches_keep_no_class_of_the_program() -> None:
    """After measuring, a class made at run time dies with its instances."""
    cls = type("Transient", (), {"__slots__": ("v",)})
    obj = cls()
    obj.v = [1, 2, 3]
    alive = weakref.ref(cls)
    _, how = measure([obj])
    del obj, cls
    gc.collect()
    assert how == PYMPLER
    assert alive() is None


def test_own_walk_is_used_when_the_sample_is_too_big() -> None:
    """Past the node limit nothing is measured, and the report's note says why."""
    big = [[str(i * 100 + j) for j in range(100)] for i in range(600)]  # 60k distinct objects
    note = f"deep size not measured: the sample reaches over {DEEP_SIZE_NODES:,} objects"
    assert measure([big]) == (None, note)
    assert measure_for_report([big]) == (None, note)
    assert deep_size([big]) is None


def test_a_spent_deadline_is_noted_as_out_of_time() -> None:
    """A walk past its deadline measures nothing and says the budget ran out."""
    sample = [[b"x"] * 10 for _ in range(2000)]
    assert measure_for_report(sample, deadline=1e-9) == (
        None,
        "deep size not measured: the evidence budget ran out",
    )


def test_the_normal_ways_of_sizing_leave_the_report_quiet() -> None:
    """pympler, or the own walk where pympler would run code or add a __dict__: no note."""
    for sample in ([Slotted("a", [b"x"])], [Hostile()], [Empty(), Empty()]):
        size, note = measure_for_report(sample)
        assert size is not None
        assert note is None


def test_pympler_failing_on_a_sample_is_noted(monkeypatch: pytest.MonkeyPatch) -> None:
    """When pympler raises on a vetted sample, the own walk's figure stands, with a note."""

    class Broken:
        def asizeof(self, *objects: object) -> int:
            raise RuntimeError("pympler broke")

    monkeypatch.setattr(pympler.asizeof, "Asizer", Broken)
    size, note = measure_for_report([Slotted("a", [b"x" * 10])])
    assert size == deep_size([Slotted("a", [b"x" * 10])])
    assert note == "deep size by leakguard's own walk (pympler failed on this sample)"


def test_pympler_is_imported_without_pulling_numpy_in() -> None:
    """A program that never imported numpy does not get it (nor its threads) from leakguard."""
    code = (
        "import sys\n"
        "from leakguard._heap.deepsize import measure\n"
        "assert measure([[b'x']])[1] == 'deep size by pympler.asizeof'\n"
        "print('numpy' in sys.modules, 'pympler.asizeof' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
