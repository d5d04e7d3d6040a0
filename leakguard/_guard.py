"""The Guard: samples, keeps the history, asks the detector, acts on new suspects."""

from __future__ import annotations

import functools
import gc
import logging
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from types import BuiltinFunctionType, FunctionType, MethodType, TracebackType
from typing import Any, TypeVar

from leakguard._census import engine as _engine
from leakguard._census.census import take_census
from leakguard._census.limit import MemoryLimit
from leakguard._census.sample import CensusProbe, Probes
from leakguard._config import resolve
from leakguard._detect.book import Key
from leakguard._evidence.pipeline import EvidenceSource, Pipeline
from leakguard._files.writer import GuardWriter
from leakguard._forking import after_fork_in_child
from leakguard._model.engine import Engine
from leakguard._model.options import Options
from leakguard._model.report import Report
from leakguard._model.snapshot import Snapshot
from leakguard._model.suspect import Suspect
from leakguard._render.text import describe, human, render_text
from leakguard._watch import watched_counts

log = logging.getLogger("leakguard")

Hook = Callable[[Report], object]
H = TypeVar("H", bound=Hook)

_UNSET: Any = object()
_KEEP_SNAPSHOTS = 60
# Event.wait() overflows past threading.TIMEOUT_MAX: a longer delay is waited in steps.
_MAX_WAIT = 3600.0
# stop() joins the thread this long at most, so that it returns within one second.
_STOP_JOIN = 0.9
# With a memory_limit, the wait between samples reads RSS this often (a few microseconds).
_LIMIT_POLL = 0.1
_local = threading.local()  # .sampler: set on a guard's own sampling thread


class Guard:
    """Watches this process for leaks: manual (``interval=None``) or on a daemon thread.

    Args:
        interval: seconds between samples; None for manual mode, where you call
            :meth:`sample` yourself. Default: the ``interval`` option (10 s).
        clock: wall-clock source (injectable for tests).
        census: the census function (injectable for tests).
        **options: any option of :class:`leakguard._config.Options`.

    Raises:
        ValueError: a bad option, naming it and where it came from.
        RuntimeError: option ``require_native`` is set and the C census is not in use.
    """

    def __init__(
        self,
        interval: float | None = _UNSET,
        *,
        clock: Callable[[], float] = time.time,
        census: CensusProbe = take_census,
        **options: Any,
    ) -> None:
        if interval is not _UNSET:
            options["interval"] = interval
        self.options: Options = resolve(options)
        self._engine = _engine.current(self.options.native)
        if self.options.require_native:
            _engine.require(self._engine)
        _engine.announce(self._engine)
        if census is take_census and not self.options.native:
            census = functools.partial(take_census, native=False)
        self._clock = clock
        self._lock = threading.RLock()
        self._work_lock = threading.Lock()
        self._hooks: list[Hook] = []
        self._resolved_hooks: list[Hook] = []
        self._limit_hooks: list[Hook] = []
        # _state guards the thread's life: which thread samples (_thread), which one was
        # told to stop but still finishes a sample (_retiring), and the restore on exit.
        self._state = threading.Lock()
        self._thread: threading.Thread | None = None
        self._retiring: threading.Thread | None = None
        self._stopping = threading.Event()
        self._probes = Probes(self.options.top_containers, census, self._census_failed)
        self._gc = self._probes.gc
        self._pipe = Pipeline(self.options, self._new_evidence if self.options.evidence else None)
        self._files = GuardWriter.open(self.options, self._write_failed)
        self._limit = self._memory_limit()
        self._reset()

    def _reset(self) -> None:
        """Start a fresh baseline (construction, fork)."""
        self._pid = os.getpid()
        self._pipe.reset(gc.get_freeze_count())
        self._snapshots: deque[Snapshot] = deque(maxlen=_KEEP_SNAPSHOTS)
        self._index = 0
        self._work = 0
        self._pause_total = 0.0
        self._pause_max = 0.0
        self._started_mono = time.monotonic()
        self._failures = 0
        self._gc.reset()
        if self._files is not None:
            self._files.reset()

    # -- public API ---------------------------------------------------------

    def on_leak(self, hook: H) -> H:
        """Register ``hook(report)``, called once per new leak; usable as a decorator."""
        if not callable(hook):
            raise TypeError(f"leakguard: on_leak() needs a callable, got {type(hook).__name__}")
        self._hooks.append(hook)
        return hook

    def on_resolved(self, hook: H) -> H:
        """Register ``hook(report)``, called when suspects are withdrawn; usable as a decorator.

        A suspect is withdrawn once its series has been flat or falling for ``window``
        samples (see docs/detection.md); ``report.resolved`` lists the withdrawn ones,
        as last seen, and they are gone from :meth:`suspects` and the metrics. Same
        contract as :meth:`on_leak`: called on the sampling thread, a hook that raises is
        logged and the guard goes on.
        """
        if not callable(hook):
            raise TypeError(f"leakguard: on_resolved() needs a callable, got {type(hook).__name__}")
        self._resolved_hooks.append(hook)
        return hook

    def on_limit(self, hook: H) -> H:
        """Register ``hook(report)``, called when process memory crosses ``memory_limit``.

        Called once per crossing, after the report and snapshot are saved and before
        ``memory_limit_action="exit"`` stops the process. Same contract as
        :meth:`on_leak`: on the sampling thread, a hook that raises is logged.
        """
        if not callable(hook):
            raise TypeError(f"leakguard: on_limit() needs a callable, got {type(hook).__name__}")
        self._limit_hooks.append(hook)
        return hook

    def tick(self, n: int = 1) -> None:
        """Count ``n`` units of work done (requests, jobs, orders)."""
        if self._pid != os.getpid():
            self._forked()
        with self._work_lock:
            self._work += n

    def sample(self) -> Snapshot:
        """Take one sample now, evaluate, and run hooks for new suspects."""
        if self._pid != os.getpid():
            self._forked()
        with self._lock:
            started = time.perf_counter()
            snap = self._evaluate()
            pause = time.perf_counter() - started
            self._pause_total += pause
            self._pause_max = max(self._pause_max, pause)
            new = self._pipe.book.announced_at(snap.index)
            gone = tuple(self._pipe.resolved)
            files = self._files
            changed = files is not None and files.changed(s.key for s in self._pipe.suspects())
            report = self._report(tuple(s.key for s in new)) if new or changed else None
            withdrawn = self._report((), gone) if gone else None
        if files is not None:
            # Outside the measured pause: encoding is quick, fsync waits without the GIL.
            files.snapshot(snap)
            if report is not None:
                files.report(report)
        if new and report is not None:
            self._announce(new, report)
        if withdrawn is not None:
            self._withdrawn(withdrawn)
        return snap

    def suspects(self) -> list[Suspect]:
        """Confirmed suspects, most certain first."""
        with self._lock:
            return self._pipe.suspects()

    def report(self) -> Report:
        """What the guard knows now, as a :class:`Report`."""
        with self._lock:
            return self._report(())

    def overhead(self) -> dict[str, float]:
        """The guard's own cost so far: ``pause_total`` and ``pause_max`` (seconds),
        ``share`` of wall time paused, ``samples`` taken, and ``native_census`` (1.0 when
        the C census samples, 0.0 for the pure-Python fallback: :attr:`engine` says why)."""
        elapsed = max(time.monotonic() - self._started_mono, 1e-9)
        return {
            "pause_total": self._pause_total,
            "pause_max": self._pause_max,
            "share": self._pause_total / elapsed,
            "samples": float(self._index),
            "native_census": 1.0 if self._engine.native else 0.0,
        }

    @property
    def engine(self) -> Engine:
        """The engines this guard samples with (C or pure-Python) and why not the C ones."""
        return self._engine

    @property
    def snapshots(self) -> tuple[Snapshot, ...]:
        """Recent samples, oldest first (only the latest keeps its census)."""
        with self._lock:
            return tuple(self._snapshots)

    @property
    def running(self) -> bool:
        """True while the sampling thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Guard:
        """Start the sampling thread (thread mode only); idempotent.

        After a :meth:`stop` that left a sample finishing (a slow hook), that same
        thread is taken back: a Guard never has two sampling threads.
        """
        if self.options.interval is None:
            raise RuntimeError("leakguard: this Guard is manual (interval=None); call sample()")
        with self._state:
            if self.running:
                return self
            self._gc.install()
            self._stopping.clear()
            old, self._retiring = self._retiring, None
            if old is not None and old.is_alive():
                self._thread = old
                return self
            self._thread = threading.Thread(target=self._run, name="leakguard", daemon=True)
            after_fork_in_child(self._forked)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling, close evidence windows and restore what the guard changed; idempotent.

        Returns within a second: a sample still running then (a slow hook, the census
        of a huge heap) is not waited for; its thread never samples again and restores
        the interpreter itself when that sample ends.
        """
        with self._state:
            thread, self._thread = self._thread, None
            self._stopping.set()
            if thread is not None:
                self._retiring = thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=_STOP_JOIN)
        with self._state:
            if self._thread is None and not self._sampling_elsewhere():
                self._save_last()
                self._restore()

    def _sampling_elsewhere(self) -> bool:
        """Whether a retiring thread, other than the caller, is still inside a sample."""
        old = self._retiring
        return old is not None and old.is_alive() and old is not threading.current_thread()

    def _restore(self) -> None:
        """Leave the interpreter as the guard found it (callers hold ``_state``)."""
        with self._lock:
            self._probes.close()
            self._pipe.close()

    def __enter__(self) -> Guard:
        if self.options.interval is not None:
            self.start()
        else:
            self._gc.install()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- sampling -----------------------------------------------------------

    def _take(self, index: int) -> Snapshot:
        return self._probes.read(index, self._clock, self._work_done, watched_counts)

    def _work_done(self) -> int:
        return self._work

    def _census_failed(self) -> None:
        self._failures += 1
        if self._failures <= 3:
            log.exception("leakguard: census failed; this sample has process signals only")

    def _evaluate(self) -> Snapshot:
        index = self._index
        self._index += 1
        snap = self._take(index)
        trends = self._pipe.observe(snap)
        if self._pipe.needs_verification(trends):
            # Uncollected cyclic garbage climbs too: recount after one full collection.
            gc.collect()
            snap = self._take(index)
            trends = self._pipe.observe(snap, verified=True)
        self._keep(snap)
        self._pipe.confirm(trends, index)
        return snap

    def _write_failed(self, exc: OSError) -> None:
        """A snapshot or report file was not written; a full disk must not break the host."""
        self._failures += 1
        if self._failures <= 3:
            log.warning("leakguard: cannot write to %s: %s", self.options.snapshot_dir, exc)

    def _keep(self, snap: Snapshot) -> None:
        if self._snapshots:
            last = self._snapshots[-1]
            if last.index == snap.index:
                self._snapshots.pop()
            elif last.census is not None:
                # Only the latest snapshot keeps its census: bounded memory.
                self._snapshots.append(replace(self._snapshots.pop(), census=None))
        self._snapshots.append(snap)

    def _new_evidence(self) -> EvidenceSource:
        from leakguard._evidence.gather import Evidence

        # Evidence is the optional part of a pause: max_pause caps it per round.
        capped = min(self.options.evidence_seconds, self.options.max_pause)
        return Evidence(replace(self.options, evidence_seconds=capped))

    # -- acting -------------------------------------------------------------

    def _report(self, new: tuple[Key, ...], resolved: tuple[Suspect, ...] = ()) -> Report:
        last = self._snapshots[-1] if self._snapshots else None
        report = self._pipe.report(new, last, self._index, self.overhead(), resolved)
        return replace(report, engine=self._engine)

    def _save_last(self) -> None:
        """At stop: save the report of the latest sample, unless it is saved already."""
        if self._files is None or self._index == 0 or self._files.saved(self._index):
            return
        with self._lock:
            report = self._report(())
        self._files.report(report)

    def _announce(self, new: list[Suspect], report: Report) -> None:
        if self.options.log:
            for s in new:
                log.warning("leakguard: possible leak: %s", describe(s))
        _call(self._hooks, report, "on_leak")

    def _withdrawn(self, report: Report) -> None:
        if self.options.log:
            for s in report.resolved:
                log.info("leakguard: no longer growing, withdrawn: %s %s", s.kind, s.name)
        _call(self._resolved_hooks, report, "on_resolved")

    def _memory_limit(self) -> MemoryLimit | None:
        option = self.options.memory_limit
        limit = MemoryLimit.of(option, self._probes.process.read().cgroup_limit)
        if option is not None and limit is None:
            log.warning(
                "leakguard: memory_limit=%s is a fraction of the cgroup limit, but this "
                "process has none: the memory limit is off",
                option,
            )
        return limit

    def _check_limit(self) -> None:
        """Between samples: past ``memory_limit``, save the evidence, then act."""
        limit = self._limit
        if limit is None:
            return
        rss = self._probes.process.read().rss
        if not limit.crossed(rss):
            return
        log.error(
            "leakguard: process memory %s is past memory_limit %s: saving the evidence%s",
            human(rss, "bytes"),
            human(limit.threshold, "bytes"),
            ", then SIGTERM" if self.options.memory_limit_action == "exit" else "",
        )
        self.sample()  # the latest state, saved to snapshot_dir like every sample
        with self._lock:
            report = self._report(())
        if self._files is not None:
            self._files.report(report)
        else:
            log.error("leakguard: report at memory_limit:\n%s", render_text(report))
        _call(self._limit_hooks, report, "on_limit")
        if self.options.memory_limit_action == "exit":
            os.kill(os.getpid(), signal.SIGTERM)

    # -- thread and fork ----------------------------------------------------

    def _run(self) -> None:
        me = threading.current_thread()
        _local.sampler = True
        delay = 0.0
        try:
            while self._sleep(delay, me):
                try:
                    self.sample()
                except BaseException:  # a hook's BaseException included: sampling goes on
                    self._failures += 1
                    if self._failures <= 3:
                        log.exception("leakguard: sample failed")
                delay = self._next_delay()
        except BaseException:  # our own bug: say so, and let `running` tell the truth
            log.exception("leakguard: the sampling thread stopped")
        finally:
            with self._state:
                if self._thread is me:
                    self._thread = None
                if self._retiring is me:
                    self._retiring = None
                if self._thread is None:
                    self._restore()

    def _sleep(self, delay: float, me: threading.Thread) -> bool:
        """Wait ``delay`` seconds (nan and negatives: none); False once this thread must end."""
        deadline = time.monotonic() + (delay if delay > 0 else 0.0)
        step = _MAX_WAIT if self._limit is None else _LIMIT_POLL
        while not self._stopping.is_set():
            left = deadline - time.monotonic()
            if not left > 0 or self._stopping.wait(min(left, step)):
                break
            self._check_limit()
        with self._state:
            if self._thread is me and not self._stopping.is_set():
                return True
            if self._retiring is me:
                self._retiring = None  # committed to ending: start() makes a new thread
            return False

    def _next_delay(self) -> float:
        """Seconds until the next sample: the interval, or longer while over budget.

        The budget is kept over the guard's whole life, not per sample, so a
        rare long pause (a verifying collection, evidence) is paid back over the
        following intervals instead of stalling detection right when it matters.
        """
        interval = self.options.interval or 0.0
        elapsed = time.monotonic() - self._started_mono
        return max(interval, self._pause_total / self.options.budget - elapsed)

    def _forked(self) -> None:
        """In a forked child: a fresh baseline and, in thread mode, a fresh thread.

        Only the forking thread survives a fork, and the parent's sampling
        thread may have held a lock at that instant: replace the locks, never
        wait on them.
        """
        if self._pid == os.getpid():
            return
        was_running = self._thread is not None
        self._lock = threading.RLock()
        self._work_lock = threading.Lock()
        self._state = threading.Lock()
        self._stopping = threading.Event()
        self._thread = self._retiring = None
        self._reset()
        if was_running:
            self.start()


def _call(hooks: list[Hook], report: Report, what: str) -> None:
    """Run user hooks; one that raises is logged and the others still run."""
    for hook in list(hooks):
        try:
            hook(report)
        except Exception:  # a user's hook must never stop the guard
            log.exception("leakguard: %s hook %s raised", what, _name(hook))
        except BaseException as exc:
            # SystemExit or Ctrl-C is the host's own in its thread; on ours it would
            # end sampling for good (silently, for SystemExit).
            if not getattr(_local, "sampler", False):
                raise
            log.error(
                "leakguard: %s hook %s raised %s on the sampling thread; ignored",
                what,
                _name(hook),
                type(exc).__name__,
                exc_info=True,
            )


def _name(hook: Hook) -> str:
    """A hook's name for a log line, never from its own ``__repr__``."""
    if isinstance(hook, (FunctionType, MethodType, BuiltinFunctionType)):
        return str(getattr(hook, "__qualname__", "?"))
    return f"{type(hook).__qualname__} instance"
