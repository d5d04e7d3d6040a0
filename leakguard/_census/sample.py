"""One sample: every probe and the census read into one :class:`Snapshot`."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from leakguard._census.census import take_census
from leakguard._census.gcwatch import GcWatcher
from leakguard._census.procmem import ProcessProbe
from leakguard._census.resources import read_resources
from leakguard._model.snapshot import Census, Snapshot

CensusProbe = Callable[[int], Census]
"""The census: objects per type and the biggest containers (``top_containers`` of them)."""


class Probes:
    """What a guard reads at each sample, and the gc callback it installs.

    Args:
        top_containers: the biggest containers the census names.
        census: the census function (injectable for tests).
        census_failed: called inside the ``except`` block when the census raised
            (a MemoryError in a starving process); the sample goes on without it.
    """

    def __init__(
        self,
        top_containers: int,
        census: CensusProbe = take_census,
        census_failed: Callable[[], None] = lambda: None,
    ) -> None:
        self.top_containers = top_containers
        self.census = census
        self.census_failed = census_failed
        self.process = ProcessProbe()
        self.gc = GcWatcher()

    def read(
        self,
        index: int,
        clock: Callable[[], float],
        work: Callable[[], int],
        watched: Callable[[], Mapping[str, int]],
    ) -> Snapshot:
        """Read every probe and the census into one snapshot.

        Process memory is read first: what the census itself costs (its object list,
        the arenas it keeps busy while the program allocates) never feeds the memory
        series it is meant to judge. The time, the work count and the watched calls
        are read after the census, as of the end of the sample.
        """
        process = self.process.read()
        try:
            census: Census | None = self.census(self.top_containers)
        except Exception:  # skip the census, not the sample
            self.census_failed()
            census = None
        return Snapshot(
            index=index,
            time=clock(),
            work=work(),
            census=census,
            process=process,
            gc=self.gc.read(),
            resources=read_resources(census),
            watched=watched(),
        )

    def close(self) -> None:
        """Remove the gc callback and close the process files."""
        self.gc.uninstall()
        self.process.close()
