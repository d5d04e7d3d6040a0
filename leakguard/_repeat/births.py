"""Which objects each repeated run made: ids by run and type, never the objects.

A leak leaves survivors of *every* run; a cache that replaces its entries, a
first call's state or leakguard's own lazy imports leave those of one run at
most. Keeping each run's births apart lets the check tell them apart after the
caller's cleanup. Ids are packed in bytes, which the collector does not track,
so this bookkeeping never shows up in the census it feeds.

An id names an object only while it lives: once freed, its address goes to
the next object of a like size, often one of the same type a later run makes.
A run's births therefore stay on its list only while they are seen alive at
every census after it (and of the same type: ids are kept per type); one
missing at any census is gone for good, whatever reuses its address later.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence

from leakguard._repeat.probe import ids_of


class Births:
    """Ids of the objects of some types made by each run after the first."""

    def __init__(self) -> None:
        self.runs = 0
        self._by_run: dict[tuple[int, str], bytes] = {}
        self._alive: dict[str, bytes] | None = None

    def after_run(self, suspects: Iterable[str]) -> None:
        """Note what the run that just ended made; the first call only starts the watch.

        Args:
            suspects: the types to follow, read on the first call only.
        """
        if self._alive is None:
            self._alive = {name: _pack(ids) for name, ids in ids_of(suspects).items()}
            return
        alive = {}
        for name, ids in ids_of(self._alive).items():
            for run in range(self.runs):
                self._keep_alive(run, name, ids)
            self._by_run[(self.runs, name)] = _pack(ids - _unpack(self._alive[name]))
            alive[name] = _pack(ids)
        self.runs += 1
        self._alive = alive

    def _keep_alive(self, run: int, name: str, alive: set[int]) -> None:
        """Drop from one run's births those not alive now: their ids may be reused later."""
        born = self._by_run.get((run, name))
        if born:
            self._by_run[(run, name)] = _pack(_unpack(born) & alive)

    def keep_first(self, runs: int) -> None:
        """Forget the births of every run after the first ``runs``."""
        self._by_run = {k: v for k, v in self._by_run.items() if k[0] < runs}
        self.runs = min(self.runs, runs)

    def of_run(self, run: int, name: str) -> set[int]:
        """Ids of the objects of type ``name`` made by one run (0: the first after the start)."""
        return _unpack(self._by_run.get((run, name), b""))

    def of(self, names: Sequence[str]) -> dict[str, set[int]]:
        """Ids of the objects of each named type made by any of the runs."""
        runs = range(self.runs)
        return {name: set().union(*(self.of_run(r, name) for r in runs)) for name in names}

    def survivors(self, name: str, alive: set[int]) -> list[int]:
        """How many of each run's objects of type ``name`` are among ``alive``."""
        return [len(self.of_run(r, name) & alive) for r in range(self.runs)]

    def left_by_most(self, name: str, alive: set[int], floor: int) -> int | None:
        """The survivors of type ``name``, if nearly every run left at least ``floor`` of them.

        With three runs or more one may fall short: objects a run made and the
        cleanup freed lend their ids to new objects, which then pass for survivors
        (between the runs that cannot happen: see the module's docstring), and the
        reverse can hide one run's.

        Args:
            name: the full type name.
            alive: ids of the objects of that type alive now.
            floor: survivors a run must leave (the type's growth per run).

        Returns:
            The total of the runs' survivors, or None when too few runs left enough.
        """
        kept = self.survivors(name, alive)
        enough = sum(n >= floor for n in kept)
        if not kept or enough < (len(kept) - 1 if len(kept) >= 3 else len(kept)):
            return None
        return sum(kept)


def _pack(ids: set[int]) -> bytes:
    return array("q", sorted(ids)).tobytes()


def _unpack(packed: bytes) -> set[int]:
    out = array("q")
    out.frombytes(packed)
    return set(out)
