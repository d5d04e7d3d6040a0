"""The cheap per-sample probes, in one place for the Guard to import.

Each lives in its own module: process memory (:mod:`leakguard._procmem`),
garbage collector churn (:mod:`leakguard._gcwatch`) and OS/runtime resources
(:mod:`leakguard._resources`). None does anything at import time.
"""

from __future__ import annotations

from leakguard._gcwatch import GcWatcher
from leakguard._procmem import CgroupFiles, ProcessProbe, find_cgroup, parse_bytes
from leakguard._resources import count_fds, count_tasks, count_threads, read_resources

__all__ = [
    "CgroupFiles",
    "GcWatcher",
    "ProcessProbe",
    "count_fds",
    "count_tasks",
    "count_threads",
    "find_cgroup",
    "parse_bytes",
    "read_resources",
]
