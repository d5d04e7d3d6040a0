"""Run a function as an unprivileged user (``nobody``), where root would bypass a check.

The tests run as root here and in CI, and root writes into a read-only directory.
:func:`as_nobody` forks, drops to uid/gid 65534 in the child and runs the function
there; everything it needs is imported before the fork, because the interpreter's
own files may not be readable by that user.
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

R = TypeVar("R")
NOBODY = 65534


def shared_directory() -> Path:
    """A fresh directory both root and nobody can reach (pytest's tmp_path is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="leakguard-nobody-"))
    path.chmod(0o755)
    return path


def nobody_can_run() -> bool:
    """Whether this process can become another user (root on a POSIX system)."""
    return sys.platform != "win32" and hasattr(os, "fork") and os.geteuid() == 0


def as_nobody(fn: Callable[..., R], *args: object) -> R:
    """``fn(*args)`` in a forked child running as uid/gid 65534; its result, or its exception."""
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
        pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read)
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            outcome: tuple[bool, object] = (True, fn(*args))
        except BaseException as exc:  # everything goes back to the parent
            outcome = (False, exc)
        with os.fdopen(write, "wb") as f:
            pickle.dump(outcome, f)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    ok, value = pickle.loads(data)
    if not ok:
        raise value  # type: ignore[misc]
    return value  # type: ignore[no-any-return]
