"""The census: counts per type, sizes, big containers, and never touching user code.

Every behaviour is checked with both engines: the C extension (when it was
built) and the pure-Python fallback.
"""

from __future__ import annotations

import collections
import gc
import subprocess
import sys
import threading
import weakref
from typing import Any

import pytest

from leakguard._census import census as _census
from leakguard._census.safe import type_name
from leakguard._model.snapshot import Census

BIG = 20_000  # longer than any container the interpreter itself holds


@pytest.fixture(params=["c", "python"])
def census(request: pytest.FixtureRequest) -> Any:
    """Return a census function bound to one engine."""
    native = request.param == "c"
    if native and not _census.native_available():
        pytest.skip("the C census extension is not built here")

    def take(top: int = 64, min_container: int = 64) -> Census:
        return _census._take(top, min_container, native=native)

    return take


def _independent_count(tp: type) -> int:
    """Count instances of exactly ``tp`` the slow, obvious way."""
    objects = gc.get_objects()
    try:
        return sum(1 for o in objects if type(o) is tp)
    finally:
        del objects


def _name(tp: type) -> str:
    """Full name of one of this file's classes (none has a hostile metaclass)."""
    return f"{tp.__module__}.{tp.__qualname__}"


class Plain:
    """An ordinary class with a ``__dict__``."""

    def __init__(self, i: int) -> None:
        self.i = i


class Slotted:
    """A ``__slots__`` class."""

    __slots__ = ("a", "b")

    def __init__(self) -> None:
        self.a = self.b = None


class LoudDict(dict[Any, Any]):
    def __len__(self) -> int:
        raise RuntimeError("user __len__ called")


class LoudList(list[Any]):
    def __len__(self) -> int:
        raise RuntimeError("user __len__ called")


class LoudSet(set[Any]):
    def __len__(self) -> int:
        raise RuntimeError("user __len__ called")


class LyingClass:
    """Claims to be an int."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return int


class RaisingClass:
    """Raises from everything a careless census might call."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        raise RuntimeError("__class__ read")

    def __repr__(self) -> str:
        raise RuntimeError("__repr__ called")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("__eq__ called")

    def __hash__(self) -> int:
        raise RuntimeError("__hash__ called")

    def __sizeof__(self) -> int:
        raise RuntimeError("__sizeof__ called")


class HostileMeta(type):
    """A metaclass whose __module__ and __basicsize__ raise when read on its classes."""

    @property
    def __module__(cls) -> str:  # type: ignore[override]
        raise RuntimeError("__module__ read")

    @property
    def __basicsize__(cls) -> int:
        raise RuntimeError("__basicsize__ read")


class UnderHostileMeta(metaclass=HostileMeta):
    pass


def test_counts_equal_an_independent_count(census: Any) -> None:
    """Instances of each class are counted exactly as a direct scan counts them."""
    made = [Plain(i) for i in range(3_000)] + [Slotted() for _ in range(2_000)]
    result = census()
    for tp in (Plain, Slotted):
        assert result.types[_name(tp)][0] == _independent_count(tp)
    del made


def test_fixed_size_bytes_match_getsizeof(census: Any) -> None:
    """Bytes of a fixed-size type are its count times sys.getsizeof of one instance."""
    made = [Slotted() for _ in range(1_000)]
    count, size = census().types[_name(Slotted)]
    assert size == count * sys.getsizeof(made[0])


def test_variable_sizes_match_getsizeof() -> None:
    """The C engine sizes tuples, lists and sets as sys.getsizeof does."""
    if not _census.native_available():
        pytest.skip("the C census extension is not built here")
    point = collections.namedtuple("point", "x y z")
    tuples = [point([], i, i) for i in range(50)]
    lists = [LoudList(range(i)) for i in range(50)]
    sets = [LoudSet(range(i)) for i in range(50)]
    types = _census._take(64, 64, native=True).types
    for made in (tuples, lists, sets):
        expected = sum(map(sys.getsizeof, made))
        assert types[_name(type(made[0]))] == (len(made), expected)


def test_dict_size_estimate_is_near_getsizeof() -> None:
    """The C engine's dict estimate stays within a factor of two of sys.getsizeof."""
    if not _census.native_available():
        pytest.skip("the C census extension is not built here")
    dicts = [LoudDict((str(j), j) for j in range(i)) for i in range(1, 300, 7)]
    _, size = _census._take(64, 64, native=True).types[_name(LoudDict)]
    expected = sum(dict.__sizeof__(d) + sys.getsizeof(()) - ().__sizeof__() for d in dicts)
    assert expected / 2 <= size <= expected * 2


def test_containers_found_with_their_lengths(census: Any) -> None:
    """Each kind of big container is reported with its true length and type."""
    anchor = Plain(0)
    made = {
        "builtins.dict": dict.fromkeys(range(BIG + 1), anchor),
        "builtins.list": [anchor] * (BIG + 2),
        "builtins.set": set(range(BIG + 3)),
        "builtins.frozenset": frozenset(range(BIG + 4)),
        "collections.deque": collections.deque([anchor] * (BIG + 5)),
    }
    found = {c.key: c for c in census(min_container=BIG).containers}
    for name, container in made.items():
        assert (found[id(container)].type, found[id(container)].length) == (name, len(container))


def test_containers_ordered_biggest_first(census: Any) -> None:
    """Containers come biggest first and no more than asked for."""
    made = [[None] * (BIG + i * 10) for i in range(5)]
    containers = census(top=3, min_container=BIG).containers
    assert [c.length for c in containers] == [BIG + 40, BIG + 30, BIG + 20]
    del made


def test_subclass_len_is_never_called(census: Any) -> None:
    """Subclasses whose __len__ raises are measured from their C struct."""
    made = [
        LoudDict.fromkeys(range(BIG + 7), Plain(0)),
        LoudList([None] * (BIG + 8)),
        LoudSet(range(BIG + 9)),
    ]
    found = {c.key: c.length for c in census(min_container=BIG).containers}
    assert [found[id(c)] for c in made] == [BIG + 7, BIG + 8, BIG + 9]


def test_hostile_objects_are_counted_by_real_type(census: Any) -> None:
    """Objects that lie about or refuse their class are counted under their real type."""
    made = [LyingClass() for _ in range(100)] + [RaisingClass() for _ in range(200)]
    types = census().types
    assert types[_name(LyingClass)][0] == 100
    assert types[_name(RaisingClass)][0] == 200
    del made


def test_hostile_metaclass_does_not_disturb(census: Any) -> None:
    """A metaclass whose __module__ raises does not stop its classes being named."""
    made = [UnderHostileMeta() for _ in range(50)]
    assert census().types[f"{__name__}.UnderHostileMeta"][0] == 50
    del made


def test_type_name_ignores_metaclass_properties() -> None:
    """type_name reads the real module and qualified name through type's descriptors."""
    assert type_name(UnderHostileMeta) == f"{__name__}.UnderHostileMeta"
    assert type_name(dict) == "builtins.dict"


def test_same_named_classes_are_added_up(census: Any) -> None:
    """Distinct classes that share a full name are counted together."""

    def make() -> type:
        class Twin:
            pass

        return Twin

    made = [make()() for _ in range(30)]
    assert census().types[_name(type(made[0]))][0] == 30


def test_census_keeps_no_references(census: Any) -> None:
    """Objects measured by a census die as soon as the caller drops them."""
    victim = LoudList([None] * (BIG + 1))
    plain = Plain(1)
    refs = (sys.getrefcount(victim), sys.getrefcount(plain))
    watch: list[weakref.ref[Any]] = [weakref.ref(victim), weakref.ref(plain)]
    census(min_container=BIG)
    assert (sys.getrefcount(victim), sys.getrefcount(plain)) == refs
    del victim, plain
    assert [w() for w in watch] == [None, None]


def test_engines_agree() -> None:
    """The C and pure-Python engines report the same counts and containers."""
    if not _census.native_available():
        pytest.skip("the C census extension is not built here")
    made = [Plain(i) for i in range(500)] + [[None] * (BIG + i) for i in range(3)]
    c = _census._take(8, BIG, native=True)
    py = _census._take(8, BIG, native=False)
    assert c.types[_name(Plain)] == py.types[_name(Plain)]
    assert c.containers == py.containers
    del made


def test_fallback_used_without_the_extension() -> None:
    """Without the C extension, take_census() runs on the pure-Python engine."""
    code = (
        "import sys; sys.modules['leakguard._ccensus'] = None\n"
        "from leakguard._census import census as _census\n"
        "assert not _census.native_available()\n"
        "held = [[None] * 30000]\n"
        "c = _census.take_census(min_container=30000)\n"
        "assert c.containers[0].length == 30000 and c.types['builtins.list'][0] > 0\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.stdout.strip() == "ok", out.stderr


def test_census_while_threads_allocate(census: Any) -> None:
    """Censuses taken while other threads allocate and free complete and count sanely."""
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            junk = [Plain(i) for i in range(200)]
            del junk

    threads = [threading.Thread(target=churn) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        results = [census() for _ in range(10)]
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert all(r.objects > 0 and r.types["builtins.dict"][0] > 0 for r in results)


def test_tally_survives_a_finaliser_that_clears_the_list() -> None:
    """A finaliser run by dropping the list's reference may mutate the list safely."""
    if not _census.native_available():
        pytest.skip("the C census extension is not built here")
    objects: list[object] = []

    class Clearing:
        def __del__(self) -> None:
            objects.clear()

    objects.extend(Clearing() for _ in range(100))
    tally = _census._ccensus.Tally(4, 0)  # type: ignore[union-attr]
    assert tally.consume(objects, 1_000) == 0
    (types, counts, _), _, seen = tally.result()
    assert (seen, [n for tp, n in zip(types, counts) if tp is Clearing]) == (1, [1])


def test_tally_rejects_a_non_list() -> None:
    """Tally.consume() names its expected arguments when given something else."""
    if not _census.native_available():
        pytest.skip("the C census extension is not built here")
    tally = _census._ccensus.Tally()  # type: ignore[union-attr]
    with pytest.raises(TypeError, match="consume"):
        tally.consume((1, 2), 10)


def test_untracked_module_cache_is_reported_as_a_container() -> None:
    """A module-level dict of str values, which the gc does not track, is still a container."""
    import types

    mod = types.ModuleType("lg_untracked_cache")
    mod._cache = {i: str(i) for i in range(5000)}  # type: ignore[attr-defined]
    sys.modules[mod.__name__] = mod
    try:
        assert not gc.is_tracked(mod._cache)  # type: ignore[attr-defined]
        census = _census.take_census()
        keys = {c.key: c.length for c in census.containers}
        assert keys.get(id(mod._cache)) == 5000  # type: ignore[attr-defined]
    finally:
        del sys.modules[mod.__name__]


def test_a_failing_untracked_scan_does_not_cost_the_census(monkeypatch: Any) -> None:
    """If the scan for untracked caches raises, the census still counts every type."""

    def broken(floor: int, limit: int) -> list[object]:
        raise AttributeError("surprise")

    monkeypatch.setattr(_census, "untracked_containers", broken)
    census = _census.take_census()
    assert census.objects > 0 and "builtins.dict" in census.types


def test_a_c_type_without_a_dict_is_skipped_by_the_untracked_scan() -> None:
    """A module exposing a C type whose dict is NULL does not break the scan."""
    testcapi = pytest.importorskip("_testcapi")
    from leakguard._census.untracked import untracked_containers

    tp = getattr(testcapi, "_test_structmembersType", None)
    if tp is None or vars(type)["__dict__"].__get__(tp) is not None:
        pytest.skip("this Python has no dict-less C type to test with")
    assert isinstance(untracked_containers(64, 8), list)
