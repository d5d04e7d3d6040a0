"""The last-resort memory limit: the threshold in bytes, and whether RSS has crossed it."""

from __future__ import annotations


class MemoryLimit:
    """Says once per crossing that process memory went past a threshold.

    After a crossing it stays quiet until memory falls back below the threshold,
    so that a process sitting at its limit is not reported on every poll.

    Args:
        threshold: the limit in bytes.
    """

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self._over = False

    @classmethod
    def of(cls, option: int | float | None, cgroup_limit: int | None) -> MemoryLimit | None:
        """The limit of option ``memory_limit``: bytes as given, or a fraction of
        ``cgroup_limit``; None when off, or a fraction with no cgroup limit known."""
        if option is None:
            return None
        if isinstance(option, int):
            return cls(option)
        if cgroup_limit is None:
            return None
        return cls(max(1, int(cgroup_limit * option)))

    def crossed(self, rss: int) -> bool:
        """Whether ``rss`` just went past the threshold (True once per crossing)."""
        if rss < self.threshold:
            self._over = False
            return False
        if self._over:
            return False
        self._over = True
        return True
