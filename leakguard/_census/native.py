"""The C allocator's own count of the bytes it has handed out: the native heap series.

On glibc, ``mallinfo2()`` (2.33+) or ``mallinfo()`` (older; its ``int`` fields
wrap at 4 GiB and are unwrapped between reads) gives ``uordblks`` (bytes in use
in the arenas) and ``hblkhd`` (bytes in chunks ``malloc`` mapped on its own).
Their sum is what C code holds from ``malloc``: extension modules, libraries,
and Python objects larger than 512 bytes (pymalloc hands those to ``malloc``;
its own arenas are mapped directly and are not in the sum). tracemalloc's own
tables are subtracted, so opening an evidence window is no step in the series.

``mallinfo2`` walks the free chunks of every arena, taking each arena's lock
in turn: about 0.3 us on a compact heap, but about 0.6 us per free chunk, so
40 ms on a Python heap fragmented by 60k freed large strings. A read slower than
:data:`MAX_READ_SECONDS` switches the reader off for good (``off`` says why):
a lock held that long stalls every thread that calls ``malloc`` meanwhile.
Where there is no such function (musl, macOS, Windows) the reader is off and
there is no native series; the RSS series remains.
"""

from __future__ import annotations

import ctypes
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

MAX_READ_SECONDS = 0.002
"""A read slower than this turns the native series off (thousands of free chunks to walk)."""

_FIELDS = (
    *("arena", "ordblks", "smblks", "hblks", "hblkhd"),
    *("usmblks", "fsmblks", "uordblks", "fordblks", "keepcost"),
)


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in _FIELDS]


class _Mallinfo(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int) for name in _FIELDS]


Reader = Callable[[], "tuple[int, int, int]"]
"""Returns ``(uordblks, hblkhd, free chunks)`` as the C library reports them."""


def bind_libc() -> tuple[Reader, bool] | None:
    """The C library's mallinfo2 (or mallinfo), and whether its fields wrap at 32 bits.

    Returns:
        ``(reader, wraps)``, or None when the process's C library has neither.
    """
    try:
        libc = ctypes.CDLL(None)  # the symbols already loaded: no find_library subprocess
    except OSError:
        return None
    for name, struct, wraps in (("mallinfo2", _Mallinfo2, False), ("mallinfo", _Mallinfo, True)):
        fn = getattr(libc, name, None)
        if fn is None:
            continue
        fn.restype = struct
        fn.argtypes = []
        return _reader(fn), wraps
    return None


def _reader(fn: Callable[[], ctypes.Structure]) -> Reader:
    def read() -> tuple[int, int, int]:
        info: Any = fn()  # a ctypes Structure: its fields are attributes mypy cannot see
        return int(info.uordblks), int(info.hblkhd), int(info.ordblks + info.smblks)

    return read


def unwrap(last_raw: int, last: int, raw: int) -> int:
    """The true level after a 32-bit counter moved from ``last_raw`` to ``raw``.

    ``mallinfo()`` returns ``int`` fields that wrap at 2**32; the change between two
    reads is taken as the smallest signed 32-bit step (less than 2 GiB per sample).
    """
    step = (raw - last_raw) % (1 << 32)
    if step >= 1 << 31:
        step -= 1 << 32
    return last + step


class NativeHeap:
    """Reads the bytes C code holds from ``malloc``; None when it cannot be read cheaply.

    Args:
        bind: finds the C library's reader (tests pass a fake).
        clock: seconds, for the cost of each read.
    """

    def __init__(
        self,
        bind: Callable[[], tuple[Reader, bool] | None] = bind_libc,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._bind = bind
        self._clock = clock
        self._reader: Reader | None = None
        self._wraps = False
        self._raw: tuple[int, int] | None = None
        self._level = (0, 0)
        self.off: str | None = None
        """Why there is no native series (None while it is read)."""
        self.seconds = 0.0
        """The latest read's cost."""

    def read(self) -> int | None:
        """Bytes in use by ``malloc`` now, minus tracemalloc's own; never raises."""
        if self.off is not None:
            return None
        try:
            if self._reader is None:
                bound = self._bind()
                if bound is None:
                    self.off = "the C library has no mallinfo2 or mallinfo"
                    return None
                self._reader, self._wraps = bound
            return self._read(self._reader)
        except Exception as exc:
            self.off = f"reading mallinfo failed: {type(exc).__name__}"
            return None

    def _read(self, reader: Reader) -> int | None:
        begin = self._clock()
        used, mapped, chunks = reader()
        self.seconds = self._clock() - begin
        if self.seconds > MAX_READ_SECONDS:
            self.off = (
                f"mallinfo took {self.seconds * 1e3:.1f} ms ({chunks} free chunks to walk)"
                f", over {MAX_READ_SECONDS * 1e3:.0f} ms: not read again"
            )
            return None
        if self._wraps:
            used, mapped = self._unwrapped(used, mapped)
        # tracemalloc keeps its traces in malloc'd tables: an evidence window is no leak.
        return max(0, used + mapped - tracemalloc.get_tracemalloc_memory())

    def _unwrapped(self, used: int, mapped: int) -> tuple[int, int]:
        if self._raw is None:
            level = (used % (1 << 32), mapped % (1 << 32))
        else:
            level = (
                unwrap(self._raw[0], self._level[0], used),
                unwrap(self._raw[1], self._level[1], mapped),
            )
        self._raw, self._level = (used, mapped), level
        return level
