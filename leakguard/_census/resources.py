"""Resources that leak like memory does: file descriptors, threads, asyncio tasks.

Everything here reads what the OS or the standard library already keeps; no
user code runs (task states are read through the base class's ``done``, never
an override), and no object counted is kept past the call.
"""

from __future__ import annotations

import os
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Any

from leakguard._model.snapshot import Census, Resources

# Census names of the task types whose instances are all counted as live tasks.
TASK_TYPES = ("_asyncio.Task", "asyncio.tasks.Task")
_FD_DIRS = ("/proc/self/fd", "/dev/fd")

# Per pid: whether st_size of /proc/self/fd is the number of open fds (Linux >= 6.2).
_fd_size_ok: dict[int, bool] = {}


def read_resources(census: Census | None = None) -> Resources:
    """Count open fds, live threads and asyncio tasks now; never raises.

    Args:
        census: the census taken in the same sample, if any. Done tasks that
            no registry lists (eagerly completed ones on 3.12+) are then found
            as live ``Task`` objects minus pending ones.

    Returns:
        A :class:`Resources`; ``fds`` is -1 when unknown, other unknowns are 0.
    """
    try:
        fds = count_fds()
    except Exception:
        fds = -1
    try:
        threads = count_threads()
    except Exception:
        threads = 0
    try:
        pending, done = count_tasks()
    except Exception:
        pending = done = 0
    if census is not None:
        live = sum(census.types.get(name, (0, 0))[0] for name in TASK_TYPES)
        done = max(done, live - pending)
    return Resources(fds=fds, threads=threads, tasks_pending=pending, tasks_done=done)


def count_fds(fd_dir: str | None = None) -> int:
    """Count this process's open file descriptors.

    On Linux >= 6.2 the size of ``/proc/self/fd`` is the count, read in one
    ``stat``; this is checked once per process against a listing, and the
    listing is used where it does not match.

    Args:
        fd_dir: the directory listing the fds; by default ``/proc/self/fd`` or ``/dev/fd``.

    Returns:
        The number of open fds, or -1 when no fd directory can be read.
    """
    for path in (fd_dir,) if fd_dir else _FD_DIRS:
        try:
            return _count_in(path)
        except OSError:
            continue
    return -1


def _count_in(path: str) -> int:
    pid = os.getpid()
    if path == _FD_DIRS[0] and _fd_size_ok.get(pid):
        return os.stat(path).st_size
    # The listing holds the directory's own fd, open while it is read.
    listed = len(os.listdir(path)) - 1
    if path == _FD_DIRS[0] and pid not in _fd_size_ok:
        _fd_size_ok.clear()
        _fd_size_ok[pid] = os.stat(path).st_size == listed > 0
    return listed


def count_threads() -> int:
    """Count live Python threads, including those not started through ``threading``.

    ``threading.active_count()`` misses threads started with
    ``_thread.start_new_thread`` or by C extensions that never touch
    ``threading``; their thread states are found through
    ``sys._current_frames()``. Threads that run no Python code (native pools)
    are not counted. A thread starting or ending during the call can be
    counted twice or not at all.

    Returns:
        The number of live Python threads.
    """
    known = threading.active_count()
    active = getattr(threading, "_active", None)
    if not isinstance(active, dict):
        return known
    # A set difference of two key views runs in C: the dict of frames is
    # freed before any Python code could keep it (it holds this frame).
    return known + len(sys._current_frames().keys() - active.keys())


def count_tasks() -> tuple[int, int]:
    """Count asyncio tasks of all loops in all threads, pending and done-but-alive.

    Reads the registries asyncio keeps: ``_all_tasks`` (3.10, 3.11), or
    ``_scheduled_tasks`` and ``_eager_tasks`` (3.12, 3.13). A done task stays
    in the weak registry as long as something references it, which
    ``asyncio.all_tasks()`` hides. asyncio is never imported here.

    Returns:
        (pending, done) task counts; (0, 0) when asyncio is not imported.
    """
    return _tally(registered_tasks())


def registered_tasks() -> list[object]:
    """Live tasks from asyncio's own registries, across all loops and threads.

    3.10/3.11 keep them in ``_all_tasks``; 3.12+ in ``_scheduled_tasks`` and
    ``_eager_tasks``. Empty when asyncio is not imported.
    """
    tasks_module = sys.modules.get("asyncio.tasks")
    if tasks_module is None:
        return []
    live: list[object] = []
    for name in ("_all_tasks", "_scheduled_tasks"):
        refs = _weak_members(getattr(tasks_module, name, None))
        live.extend([task for ref in refs if (task := ref()) is not None])
    eager = getattr(tasks_module, "_eager_tasks", None)
    if isinstance(eager, set):
        live.extend(_copy(eager))
    return live


def _tally(tasks: list[object]) -> tuple[int, int]:
    c_future: Any = getattr(sys.modules.get("_asyncio"), "Future", None)
    if c_future is not None:
        # The C base's done() reads the state without running an override;
        # it raises TypeError on a pure-Python task, which the slow path handles.
        try:
            done = sum(map(c_future.done, tasks))
        except TypeError:
            pass
        else:
            return len(tasks) - done, done
    pending = done = 0
    is_done = done_reader()
    for task in tasks:
        state = is_done(task)
        if state is None:
            continue
        if state:
            done += 1
        else:
            pending += 1
    return pending, done


def _weak_members(registry: object) -> list[Any]:
    # WeakSet keeps its weak references in ``data``; copying that set is one C
    # call, where iterating the WeakSet would run Python code between items.
    data = getattr(registry, "data", None) if isinstance(registry, weakref.WeakSet) else None
    if not isinstance(data, set):
        return []
    return list(_copy(data))


def _copy(members: set[Any]) -> set[Any]:
    # Another thread may add a task while the set is copied.
    for _ in range(100):
        try:
            return members.copy()
        except RuntimeError:
            continue
    return set()


def done_reader() -> Callable[[object], bool | None]:
    """Return a reader of a task's state that bypasses any ``done`` override."""
    futures = sys.modules.get("asyncio.futures")
    c_future: Any = getattr(sys.modules.get("_asyncio"), "Future", None)
    py_future: Any = getattr(futures, "_PyFuture", None)

    def is_done(task: object) -> bool | None:
        tp = type(task)
        if c_future is not None and issubclass(tp, c_future):
            return bool(c_future.done(task))
        if py_future is not None and issubclass(tp, py_future):
            return bool(py_future.done(task))
        return None

    return is_done
