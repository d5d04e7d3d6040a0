"""Cost of reading the native heap (glibc ``mallinfo2``) on compact and fragmented heaps.

    python benchmarks/bench_native.py

Each case runs in this process, one after the other: a fresh heap, 100 threads
with arenas of their own, 1M small C allocations live, then every other one
freed (the worst case: ~500k free chunks to walk), then a Python heap of random
strings of up to 3 KB, half dropped at random. Prints microseconds per read.
"""

from __future__ import annotations

import ctypes
import random
import threading
import time

from leakguard._census.native import bind_libc


def per_read(label: str, reads: int = 200) -> None:
    """Print the mean cost of one read and the free chunks it walked."""
    bound = bind_libc()
    if bound is None:
        print("no mallinfo in this C library")
        raise SystemExit(0)
    read = bound[0]
    begin = time.perf_counter()
    for _ in range(reads):
        _, _, chunks = read()
    spent = (time.perf_counter() - begin) / reads
    print(f"{label:48s} {spent * 1e6:10.1f} us  ({chunks} free chunks)")


def threads_case() -> None:
    """100 threads each allocate and free in their own arena, then wait."""
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    go = threading.Event()

    def work() -> None:
        for p in [libc.malloc(64 + i % 400) for i in range(2000)]:
            libc.free(p)
        go.wait()

    workers = [threading.Thread(target=work) for _ in range(100)]
    for w in workers:
        w.start()
    time.sleep(0.5)
    per_read("100 threads' arenas")
    go.set()
    for w in workers:
        w.join()


def main() -> None:
    """Run the cases in order of growing fragmentation."""
    per_read("fresh interpreter", 2000)
    threads_case()
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    rng = random.Random(1)
    strings = ["x" * rng.randrange(1, 3000) for _ in range(300_000)]
    rng.shuffle(strings)
    del strings[::2]
    per_read("Python: 150k random strings <= 3 KB kept of 300k", 50)
    del strings
    blocks = [libc.malloc(32 + (i % 16) * 16) for i in range(1_000_000)]
    per_read("1M small C allocations live", 2000)
    for p in blocks[::2]:
        libc.free(p)
    per_read("every other one freed", 20)
    for p in blocks[1::2]:
        libc.free(p)


if __name__ == "__main__":
    main()
