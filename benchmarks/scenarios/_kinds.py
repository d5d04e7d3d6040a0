"""Building blocks of the shape scenarios: the service's batch, a ramp, a native heap.

Each scenario module stays a short, honest service shape; what they share (serving
a batch of requests, a traffic ramp, memory obtained from the C allocator) lives here.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import random

from benchmarks.scenarios._service import handle, make_request

REQUESTS = 20


def serve_batch(rng: random.Random, i: int, count: int = REQUESTS) -> None:
    """Serve ``count`` requests of step ``i``: the tidal garbage around every scenario."""
    for k in range(count):
        handle(make_request(rng, i * 1000 + k))


def ramp(i: int, low: int = 6, high: int = 60, steps: int = 60) -> int:
    """Arrivals during step ``i`` of a linear ramp from ``low`` to ``high`` (10x)."""
    return round(low + (high - low) * min(i, steps - 1) / (steps - 1))


class NativeHeap:
    """Blocks obtained with the C library's ``malloc``, invisible to the gc and tracemalloc."""

    def __init__(self) -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        self._malloc = libc.malloc
        self._malloc.restype = ctypes.c_void_p
        self._malloc.argtypes = [ctypes.c_size_t]
        self._memset = libc.memset
        self._memset.restype = ctypes.c_void_p
        self._memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
        self._free = libc.free
        self._free.argtypes = [ctypes.c_void_p]
        self.blocks: list[int] = []

    def alloc(self, size: int) -> None:
        """Allocate and touch ``size`` bytes (touched, so they count in RSS), never freed."""
        ptr = self._malloc(size)
        if ptr:
            self._memset(ptr, 1, size)
            self.blocks.append(ptr)

    def free_all(self) -> None:
        """Give every block back (teardown)."""
        for ptr in self.blocks:
            self._free(ptr)
        self.blocks.clear()
