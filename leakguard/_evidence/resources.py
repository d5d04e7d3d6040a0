"""Evidence for resource suspects: which threads, which fds, which asyncio tasks.

Resources need no tracemalloc. Live threads are grouped by what they run and
the line each is blocked at now (``sys._current_frames()``); open fds by what
``/proc/self/fd`` links to (never opening or reading a file); tasks by their
coroutine and where each is suspended. Everything is read through C-level
getters and base-class methods, so no user code runs, and every reference
taken is dropped before returning.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import re
import stat
import sys
import threading
import time
import types
from collections.abc import Iterable, Iterator
from typing import Any

from leakguard._census.resources import TASK_TYPES, done_reader, registered_tasks
from leakguard._census.safe import code_qualname, coroutine_code, own_dict, referents, type_qualname
from leakguard._evidence.signature import signature
from leakguard._heap.ownership import Owner, file_owner
from leakguard._heap.pathrender import thread_names
from leakguard._heap.paths import iter_instances, retention_path
from leakguard._heap.tracing import is_program_file
from leakguard._model.suspect import Suspect

__all__ = ["fd_groups", "for_resource", "task_groups", "thread_groups"]

GROUPS = 3
"""Groups shown per resource suspect (the biggest)."""

_DIGITS = re.compile(r"\d+")
# Counts, line numbers, thread names and (temporary) directories vary between runs of one leak.
_SHAPE_NOISE = re.compile(r"\d+|'[^']*'|/\S*/")


def thread_groups(
    deadline: float, *, skip: Iterable[int] = ()
) -> tuple[list[str], tuple[str, ...] | None]:
    """The program's live threads grouped by target and the line each is blocked at.

    The main thread, the calling thread, leakguard's own and those in ``skip`` are left out.

    Args:
        deadline: ``time.monotonic()`` after which no retention path is searched.
        skip: idents of threads not to count.

    Returns:
        (one line per group, biggest first; the retention path of one thread of
        the biggest group, or None when only the threading machinery holds it).
    """
    names = thread_names()
    active: dict[int, object] = dict(getattr(threading, "_active", {}))
    left_out = {threading.get_ident(), threading.main_thread().ident, *skip}
    groups: dict[tuple[str, str], list[int]] = {}
    frames = sys._current_frames()  # the only way to see where other threads are
    try:
        for ident, top in frames.items():
            if ident in left_out or _is_own_stack(top):
                continue
            key = (_target(active.get(ident)), _blocked_at(top))
            groups.setdefault(key, []).append(ident)
    finally:
        del frames
    ranked = sorted(groups.items(), key=lambda kv: len(kv[1]), reverse=True)
    lines = [_thread_line(target, where, [names.get(i, "") for i in idents])
             for (target, where), idents in ranked[:GROUPS]]  # fmt: skip
    path = None
    if ranked and time.monotonic() < deadline:
        one = active.get(ranked[0][1][0])
        if one is not None:
            path = _thread_path(one, set(active), deadline, ours=id(active))
    del active
    return _with_rest(lines, ranked, "threads"), path


def _thread_path(
    thread: object, idents: set[int], deadline: float, ours: int
) -> tuple[str, ...] | None:
    # threading's own registries hold every thread, and each thread's frames hold
    # its Thread object: neither says who keeps the thread going.
    machinery = [getattr(threading, n, None) for n in ("_active", "_limbo", "_dangling")]
    ignore = [ours, *(id(x) for x in machinery if x is not None)]
    budget = min(1.0, deadline - time.monotonic())
    return retention_path(thread, seconds=budget, ignore=ignore, skip_threads=idents)


def _thread_line(target: str, where: str, names: list[str]) -> str:
    n = len(names)
    patterns = collections.Counter(_DIGITS.sub("*", name) for name in names if name)
    label = ""
    if patterns:
        common, _ = patterns.most_common(1)[0]
        label = f" '{common}'" + (", ..." if len(patterns) > 1 else "")
    head = f"{n} thread{'s' if n != 1 else ''}{label}"
    run = f" (target {target})" if target and target not in where else ""
    return f"{head} blocked at {where}{run}"


def _target(thread: object) -> str:
    """What a Thread runs: its target's qualname, or its class's ``run`` (no user code)."""
    if thread is None:
        return ""
    own = own_dict(thread)
    target = dict.get(own, "_target") if own is not None else None
    if target is not None:
        return _callable_name(target)
    tp = type(thread)
    return "" if tp is threading.Thread else f"{type_qualname(tp)}.run"


def _callable_name(fn: object) -> str:
    if type(fn) is types.MethodType:
        fn = fn.__func__
    code = getattr(fn, "__code__", None) if type(fn) is types.FunctionType else None
    if code is not None:
        return code_qualname(code)
    return type_qualname(type(fn))


def _blocked_at(top: types.FrameType) -> str:
    """The innermost line of the program's own code on a stack, and what it called."""
    callee: types.FrameType | None = None
    frame: types.FrameType | None = top
    while frame is not None:
        if is_program_file(frame.f_code.co_filename):
            return _frame_text(frame) + (f" → {_qualname(callee)}()" if callee else "")
        callee, frame = frame, frame.f_back
    return _frame_text(top)  # only library code runs in it (an event loop, a pool)


def _frame_text(frame: types.FrameType) -> str:
    where = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"
    return f"{where} in {_qualname(frame)}()"


def _qualname(frame: types.FrameType) -> str:
    code = frame.f_code
    return code_qualname(code)


def _is_own_stack(top: types.FrameType) -> bool:
    frame: types.FrameType | None = top
    while frame is not None:
        if file_owner(frame.f_code.co_filename) is Owner.LEAKGUARD:
            return True
        frame = frame.f_back
    return False


def _with_rest(lines: list[str], ranked: list[Any], what: str) -> list[str]:
    rest = sum(len(v) for _, v in ranked[GROUPS:])
    if rest:
        lines.append(f"and {rest} more {what} in {len(ranked) - GROUPS} other group(s)")
    return lines


def fd_groups(fd_dir: str = "/proc/self/fd") -> list[str]:
    """Open fds grouped by kind and by directory and name pattern, biggest group first.

    Links are read with ``readlink`` and kinds with ``fstat``: no file is opened or read.

    Args:
        fd_dir: the directory listing this process's fds.

    Returns:
        One line per group, e.g. ``12 fds → /tmp/audit/app-*.log (regular files)``;
        empty where fds cannot be listed.
    """
    try:
        listed = os.listdir(fd_dir)
    except OSError:
        return []
    groups: dict[tuple[str, str], list[str]] = {}
    for name in listed:
        try:
            link = os.readlink(os.path.join(fd_dir, name))
            mode = os.fstat(int(name)).st_mode
        except (OSError, ValueError):
            continue  # the listing's own fd, or one closed meanwhile
        kind, where = _fd_kind(link, mode)
        groups.setdefault((kind, os.path.dirname(where)), []).append(os.path.basename(where))
    ranked = sorted(groups.items(), key=lambda kv: len(kv[1]), reverse=True)
    lines = [_fd_line(kind, folder, names) for (kind, folder), names in ranked[:GROUPS]]
    return _with_rest(lines, ranked, "fds")


def _fd_kind(link: str, mode: int) -> tuple[str, str]:
    """(kind, path or empty) of one fd's link."""
    if not link.startswith("/"):
        kind = link.split(":[", 1)[0]  # socket:[123], pipe:[4], anon_inode:[eventpoll]
        kinds = {"socket": "sockets", "pipe": "pipes"}
        return kinds.get(kind, link.rstrip("]").replace(":[", ":")), ""
    if link.endswith(" (deleted)"):
        return "deleted files", link[: -len(" (deleted)")]
    for test, kind in ((stat.S_ISREG, "regular files"), (stat.S_ISDIR, "directories"),
                       (stat.S_ISCHR, "devices"), (stat.S_ISFIFO, "fifos"),
                       (stat.S_ISSOCK, "sockets")):  # fmt: skip
        if test(mode):
            return kind, link
    return "other", link


def _fd_line(kind: str, folder: str, names: list[str]) -> str:
    n = len(names)
    head = f"{n} fd{'s' if n != 1 else ''} → "
    if not folder:
        return head + kind
    return f"{head}{os.path.join(folder, _name_pattern(names))} ({kind})"


def _name_pattern(names: list[str]) -> str:
    """One name, or a glob covering them all: ``upload-*.bin``, ``*.log``, ``*``."""
    patterns = {_DIGITS.sub("*", n) for n in names}
    if len(patterns) == 1:
        return patterns.pop() if len(names) > 1 else names[0]
    suffixes = {os.path.splitext(n)[1] for n in names}
    return "*" + suffixes.pop() if len(suffixes) == 1 else "*"


def task_groups(done: bool, deadline: float) -> tuple[list[str], tuple[str, ...] | None]:
    """Asyncio tasks in one state, grouped by coroutine and where each is suspended.

    Args:
        done: group the done tasks still referenced (True) or the pending ones.
        deadline: ``time.monotonic()`` after which no retention path is searched.

    Returns:
        (one line per group, biggest first; for done tasks the retention path of
        one task of the biggest group, else None).
    """
    tasks = _live_tasks(done)
    groups: dict[str, list[object]] = {}
    ranked: list[tuple[str, list[object]]] = []
    try:
        for task in tasks:
            groups.setdefault(_task_key(task, done), []).append(task)
        ranked = sorted(groups.items(), key=lambda kv: len(kv[1]), reverse=True)
        state = "done" if done else "pending"
        lines = []
        for key, members in ranked[:GROUPS]:
            n = len(members)
            lines.append(f"{n} {state} task{'s' if n != 1 else ''} {key}")
        path = None
        if done and ranked and time.monotonic() < deadline:
            budget = min(1.0, deadline - time.monotonic())
            ours = [id(tasks), id(groups), *(id(v) for _, v in ranked), id(ranked)]
            path = retention_path(ranked[0][1][-1], seconds=budget, ignore=ours)
        return _with_rest(lines, ranked, "tasks"), path
    finally:
        tasks.clear()
        groups.clear()
        ranked.clear()


def _live_tasks(done: bool) -> list[object]:
    """Tasks in the wanted state, from asyncio's registries (or the heap, for eager ones)."""
    if sys.modules.get("asyncio.tasks") is None:
        return []
    live = registered_tasks()
    if done and sys.version_info >= (3, 12):
        # Eagerly completed tasks are in no registry: find them on the heap.
        seen = set(map(id, live))
        for name in TASK_TYPES:
            live.extend(t for t in _walk(iter_instances(name)) if id(t) not in seen)
    is_done = done_reader()
    return [t for t in live if is_done(t) is done]


def _walk(items: Iterator[object]) -> Iterator[object]:
    try:
        yield from items
    finally:
        if isinstance(items, types.GeneratorType):
            items.close()


def _task_key(task: object, done: bool) -> str:
    """``of main()`` plus, for a pending task, where it is suspended and on what."""
    coro = _coroutine(task)
    code = coroutine_code(coro)
    if code is None:
        return f"of {type_qualname(type(coro))}"
    name = code_qualname(code)
    if done:
        return f"of {name}() ({os.path.basename(code.co_filename)}:{code.co_firstlineno})"
    frame, awaited = _suspended(coro)
    if frame is None:
        return f"of {name}()"
    where = _frame_text(frame)
    on = f", awaiting {awaited}" if awaited else ""
    return f"of {name}() suspended at {where}{on}"


def _coroutine(task: object) -> object:
    """A task's coroutine, read through the base class (no override runs)."""
    c_task: Any = getattr(sys.modules.get("_asyncio"), "Task", None)
    if c_task is not None and issubclass(type(task), c_task):
        return c_task.get_coro(task)
    own = own_dict(task)  # the pure-Python Task keeps it in _coro
    return dict.get(own, "_coro") if own is not None else None


def _suspended(coro: object) -> tuple[types.FrameType | None, str]:
    """The innermost frame of the program's own code on an await chain, and what ends it."""
    best: types.FrameType | None = None
    node: object = coro
    for _ in range(100):  # an await chain is short; a cycle is not worth hanging on
        tp = type(node)
        if tp is types.CoroutineType:
            frame, nxt = node.cr_frame, node.cr_await  # type: ignore[attr-defined]
        elif tp is types.GeneratorType:
            frame, nxt = node.gi_frame, node.gi_yieldfrom  # type: ignore[attr-defined]
        else:
            break
        if frame is None:
            break
        if best is None or is_program_file(frame.f_code.co_filename):
            best = frame
        if nxt is None:
            return best, ""
        node = nxt
    else:
        return best, ""
    return best, _awaited_name(node)


def _awaited_name(node: object) -> str:
    tp = type(node)
    name = type_qualname(tp)
    if name == "FutureIter":  # the C iterator of a future: the future is its referent
        # 3.12+ heap types list their type among the referents: skip classes.
        for inner in referents(node):
            if not issubclass(type(inner), type):
                return type_qualname(type(inner))
    return name


def for_resource(s: Suspect, deadline: float) -> Suspect:
    """A threads, fds or tasks suspect with its groups as notes, and a path when one is found.

    Args:
        s: a confirmed resource suspect (``threads``, ``fds`` or ``tasks``).
        deadline: ``time.monotonic()`` by which evidence gathering stops.

    Returns:
        The suspect with notes, path and a signature of its biggest group's shape.
    """
    path: tuple[str, ...] | None = None
    if s.kind == "threads":
        lines, path = thread_groups(deadline)
    elif s.kind == "fds":
        lines = fd_groups()
    else:
        lines, path = task_groups("done" in s.name, deadline)
    # The shape without counts, names and line numbers: one leak keeps its signature.
    shape = path or (tuple(_SHAPE_NOISE.sub("", lines[0]).split()) if lines else ())
    return dataclasses.replace(
        s,
        path=path or (),
        signature=signature(shape, s.name),
        notes=(*s.notes, *lines),
    )
