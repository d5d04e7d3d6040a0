"""Reading files that someone else may have put there: bounded, never blocking.

A path given to ``leakguard report`` or ``diff`` may be a FIFO (an open would
wait for a writer for ever), a device (``/dev/zero`` never ends) or a huge file.
Only regular files are read, up to :data:`MAX_FILE_BYTES`; the open itself never
blocks (``O_NONBLOCK``, which does nothing to a regular file).
"""

from __future__ import annotations

import os
import stat

__all__ = ["MAX_FILE_BYTES", "read_capped"]

# A snapshot or report file leakguard writes is a few hundred KiB; a whole snapshot
# directory is bounded by snapshot_max_bytes (64 MiB by default). Parsing a JSON file
# costs ~10x its size in memory, so a bigger file is refused rather than read.
MAX_FILE_BYTES = 64 * 1024 * 1024

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_FLAGS |= getattr(os, "O_BINARY", 0)


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def read_capped(
    path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES, dir_fd: int | None = None
) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Args:
        path: the file (relative to ``dir_fd`` when given).
        limit: the most bytes read; a longer file is refused, even one that grows
            while it is read.
        dir_fd: a directory descriptor ``path`` is relative to (see :func:`os.open`).

    Raises:
        IsADirectoryError: ``path`` is a directory.
        ValueError: ``"<path>: <why>"`` for a FIFO, device, socket or too big a file.
        OSError: it cannot be opened or read.
    """
    name = os.fspath(path)
    fd = os.open(name, _FLAGS, dir_fd=dir_fd)
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(21, "Is a directory", name)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"{name}: is {kind_of(st.st_mode)}, expected a regular file")
        if st.st_size > limit:
            raise ValueError(_too_big(name, limit))
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise ValueError(_too_big(name, limit))
        return b"".join(chunks)
    finally:
        os.close(fd)


def _too_big(name: str, limit: int) -> str:
    return f"{name}: larger than {limit // (1024 * 1024)} MiB, the most a leakguard file may be"
