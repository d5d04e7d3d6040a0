"""The native heap series: what the C allocator holds, its cost guard and its noise floor."""

from __future__ import annotations

import ctypes
import random
from collections.abc import Iterator

import pytest

import leakguard
from leakguard._census.native import MAX_READ_SECONDS, NativeHeap, unwrap
from leakguard._detect.history import NATIVE_HEAP
from leakguard._detect.noise import NATIVE_MIN_GROWTH, noise_floor, step_noise
from leakguard._detect.shape import is_decelerating
from tests.helpers import trend_of

KIB = 1024
MIB = 1 << 20
HAS_MALLINFO = NativeHeap().read() is not None
needs_mallinfo = pytest.mark.skipif(not HAS_MALLINFO, reason="needs glibc's mallinfo")


class CHeap:
    """Blocks from libc's malloc, touched so they are resident, freed at the end."""

    def __init__(self) -> None:
        libc = ctypes.CDLL(None)
        self.malloc, self.free = libc.malloc, libc.free
        self.malloc.restype = ctypes.c_void_p
        self.malloc.argtypes = [ctypes.c_size_t]
        self.free.argtypes = [ctypes.c_void_p]
        self.blocks: list[int] = []

    def leak(self, size: int) -> None:
        ptr = self.malloc(size)
        assert ptr
        ctypes.memset(ptr, 1, size)
        self.blocks.append(ptr)

    def churn(self, size: int) -> None:
        ptr = self.malloc(size)
        ctypes.memset(ptr, 1, size)
        self.free(ptr)

    def free_all(self) -> None:
        for ptr in self.blocks:
            self.free(ptr)
        self.blocks.clear()


@pytest.fixture
def cheap() -> Iterator[CHeap]:
    heap = CHeap()
    yield heap
    heap.free_all()


@needs_mallinfo
def test_native_heap_counts_bytes_malloc_handed_out(cheap: CHeap) -> None:
    """Four MiB malloc'd by C code (not by Python) show in the native heap level."""
    reader = NativeHeap()
    before = reader.read()
    cheap.leak(4 * MIB)
    after = reader.read()
    assert before is not None and after is not None
    assert 4 * MIB <= after - before < 5 * MIB


def test_a_slow_read_turns_the_series_off_for_good() -> None:
    """A mallinfo that takes longer than the cap is not called again, and says why."""
    calls = []
    ticks = iter([0.0, MAX_READ_SECONDS * 2])

    def reader() -> tuple[int, int, int]:
        calls.append(1)
        return (100, 0, 50_000)

    heap = NativeHeap(bind=lambda: (reader, False), clock=lambda: next(ticks))
    assert heap.read() is None
    assert heap.off is not None and "50000 free chunks" in heap.off
    assert heap.read() is None and len(calls) == 1


def test_no_mallinfo_means_no_series() -> None:
    """Where the C library has no mallinfo (musl, macOS) the reader is off and says so."""
    heap = NativeHeap(bind=lambda: None)
    assert heap.read() is None
    assert heap.off == "the C library has no mallinfo2 or mallinfo"


def test_a_wrapping_32_bit_counter_is_unwrapped() -> None:
    """mallinfo's int fields wrap at 4 GiB; the level keeps climbing across the wrap."""
    raws = [2**32 - 3 * MIB, 1 * MIB, 2 * MIB]  # +4 MiB, then +1 MiB, across the wrap
    heap = NativeHeap(bind=lambda: (lambda: (raws.pop(0), 0, 1), True))
    levels = [heap.read() for _ in range(3)]
    assert levels[1] - levels[0] == 4 * MIB  # type: ignore[operator]
    assert levels[2] - levels[1] == 1 * MIB  # type: ignore[operator]
    assert unwrap(10, 10, 5) == 5  # a small fall stays a fall


def test_a_steady_leak_has_no_noise_and_gets_the_minimum_floor() -> None:
    """Equal steps, however big, are no noise: the floor stays at its minimum."""
    steady = [1e8 + 256 * KIB * i for i in range(30)]
    assert step_noise(steady) == 0.0
    assert noise_floor(steady, NATIVE_MIN_GROWTH) == NATIVE_MIN_GROWTH


def test_a_noisy_heap_raises_its_own_floor() -> None:
    """A heap whose level scatters by 2 MiB gets a floor of several times that, not 1 MiB."""
    rng = random.Random(3)
    tidal = [5e8 + rng.gauss(0, 2 * MIB) for _ in range(60)]
    floor = noise_floor(tidal, NATIVE_MIN_GROWTH)
    assert 8 * MIB < floor < 25 * MIB


def test_a_tidal_native_heap_does_not_climb() -> None:
    """Level noise of 1 MiB around a flat native heap is never taken for a leak."""
    rng = random.Random(5)
    tidal = [3e8 + rng.gauss(0, MIB) for _ in range(60)]
    assert all(
        trend_of(tidal[:n], kind="memory", name=NATIVE_HEAP, unit="bytes") is None
        for n in range(10, 61)
    )


def test_a_steady_climb_whose_first_step_was_bigger_is_not_a_fill() -> None:
    """Steps of 283, then 257..256 KiB are a steady leak, not a decelerating cache."""
    steps = [283, 258, 258, 257, 257, 257, 256, 256, 256]
    levels = [0.0]
    for s in steps:
        levels.append(levels[-1] + s * KIB)
    assert not is_decelerating(levels)


@needs_mallinfo
def test_guard_names_a_c_leak_of_256_kib_per_sample_within_30_samples(cheap: CHeap) -> None:
    """malloc'd and never freed, 256 KiB per sample: a ``memory`` suspect named native heap."""
    guard = leakguard.Guard(interval=None, evidence=False)
    found = None
    for i in range(30):
        cheap.leak(256 * KIB)
        guard.sample()
        found = next((s for s in guard.suspects() if s.name == NATIVE_HEAP), None)
        if found is not None:
            break
    assert found is not None and found.kind == "memory", f"not caught in {i + 1} samples"
    assert found.rate_per_minute is not None and found.rate_per_minute > 0


@needs_mallinfo
def test_guard_is_quiet_when_c_code_frees_what_it_mallocs(cheap: CHeap) -> None:
    """1 MiB malloc'd and freed every sample is no native leak."""
    guard = leakguard.Guard(interval=None, evidence=False)
    for _ in range(40):
        cheap.churn(MIB)
        guard.sample()
    assert all(s.name != NATIVE_HEAP for s in guard.suspects())
