"""``leakguard report`` (snapshots or a report to text, HTML or JSON) and ``leakguard diff``."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from leakguard._cli.main import EXIT_FOUND, EXIT_OK, BadInput
from leakguard._cli.output import check_output, write_output
from leakguard._config import resolve
from leakguard._evidence.pipeline import replay
from leakguard._evidence.rules import OWN_MODULES
from leakguard._evidence.saved import SavedEvidence
from leakguard._files.jsonschema import document
from leakguard._files.store import (
    REPORT_SUFFIX,
    dumps,
    file_pid,
    list_files,
    load,
    pids,
    read_json,
    report_from_dict,
    snapshot_from_dict,
)
from leakguard._heap.ownership import Owner, file_owner, is_helper_file
from leakguard._model.report import Report
from leakguard._model.snapshot import Snapshot
from leakguard._render.text import human

FORMATS = (".html", ".json")


def read_source(source: Path, pid: int | None) -> Report:
    """A report from a snapshot directory, a snapshot file (object or list) or a report file.

    Raises:
        BadInput: the source is missing, corrupt or of another schema version.
    """
    try:
        options = resolve({})
        if not source.is_dir():
            data = read_json(source)
            if isinstance(data, dict) and (data.get("kind") == "report" or "suspects" in data):
                return report_from_dict(data, str(source))
            owner = file_pid(source, data[-1] if isinstance(data, list) and data else data)
            return replay(load(source, pid), options, None, owner or 0)
        owner = pid if pid is not None else next(reversed(pids(source)), None)
        saved = SavedEvidence(latest_report(source, owner), options.ignore)
        return replay(load(source, owner), options, saved, owner or 0)
    except ValueError as exc:
        raise BadInput(f"leakguard report: {exc}") from None


def latest_report(directory: Path, pid: int | None) -> Report | None:
    """The newest report ``pid`` saved in ``directory`` (any process's when None)."""
    saved = [f for f in list_files(directory) if f.name.endswith(REPORT_SUFFIX)]
    saved = [f for f in saved if pid is None or file_pid(f, None) == pid]
    return report_from_dict(read_json(saved[-1]), str(saved[-1])) if saved else None


def report(args: argparse.Namespace) -> int:
    """``leakguard report SOURCE [-o OUT]``: exit 0, or 2 on bad input (nothing written)."""
    out: Path | None = args.output
    if out is not None:
        if out.suffix.lower() not in FORMATS:
            raise BadInput(f"leakguard report: -o {out}: unknown format (use .html or .json)")
        check_output(out, "-o", "report")
    if args.source.is_dir() and args.pid is None and len(pids(args.source)) > 1:
        others = ", ".join(map(str, pids(args.source)))
        print(
            f"leakguard report: {args.source} holds processes {others}; reading the newest "
            "(choose with --pid)",
            file=sys.stderr,
        )
    if out is not None and args.format == "json":
        raise BadInput(f"leakguard report: -o {out} and --format json: choose one")
    rep = read_source(args.source, args.pid)
    if out is None and args.format == "json":
        print(dumps(rep.to_dict()).decode())
    elif out is None:
        print(rep.to_text())
    else:
        html = out.suffix.lower() == ".html"
        data = rep.to_html().encode() if html else dumps(rep.to_dict())
        failed = write_output(out, data, "-o", "report")
        if failed:
            raise BadInput(failed)
    return EXIT_OK


@dataclass
class Profile:
    """What one file says about levels, for diffing.

    Attributes:
        types: type (or container) name -> objects (items).
        sites: ``file:line`` -> blocks or objects born there.
        memory: ``rss``/``blocks``/``objects`` -> level.
        complete: the types come from a full census (a name missing means 0), not
            from a report's top series (a name missing means "not measured").
    """

    types: dict[str, float] = field(default_factory=dict)
    sites: dict[str, float] = field(default_factory=dict)
    memory: dict[str, float] = field(default_factory=dict)
    complete: bool = False


def _profile_of_snapshot(snap: Snapshot) -> Profile:
    p = Profile(complete=snap.census is not None)
    if snap.census is not None:
        p.types = {name: float(n) for name, (n, _) in snap.census.types.items()}
        p.memory["objects"] = float(snap.census.objects)
    p.memory.update(rss=float(snap.process.rss), blocks=float(snap.process.blocks))
    return p


def _profile_of_report(rep: Report) -> Profile:
    p = Profile()
    # top_series also holds suspects' process series (rss, blocks): not types.
    others = {s.name for s in rep.suspects if s.kind not in ("type", "container")}
    p.types = {n: vals[-1] for n, vals in rep.top_series.items() if vals and n not in others}
    for s in rep.suspects:
        if s.kind in ("type", "container"):
            p.types[s.name] = s.count
        elif s.kind == "site":
            p.sites[s.name] = s.count
        for site in s.sites:
            key = f"{site.filename}:{site.lineno}"
            p.sites[key] = max(p.sites.get(key, 0.0), float(site.count))
    p.memory.update(rss=float(rep.process.rss), blocks=float(rep.process.blocks))
    if rep.timeline:
        p.memory["objects"] = float(rep.timeline[-1].objects)
    return p


def read_profile(path: Path) -> Profile:
    """The levels in a report file, a snapshot file (its last snapshot) or a snapshot directory.

    Raises:
        BadInput: missing, corrupt or of another schema version.
    """
    try:
        if path.is_dir():
            return _profile_of_snapshot(load(path)[-1])
        data = read_json(path)
        if isinstance(data, list) and data:
            return _profile_of_snapshot(snapshot_from_dict(data[-1], f"{path}[{len(data) - 1}]"))
        if isinstance(data, dict) and (data.get("kind") == "report" or "suspects" in data):
            return _profile_of_report(report_from_dict(data, str(path)))
        return _profile_of_snapshot(snapshot_from_dict(data, str(path)))
    except ValueError as exc:
        raise BadInput(f"leakguard diff: {exc}") from None


def compare(
    old: dict[str, float], new: dict[str, float], old_complete: bool, new_complete: bool
) -> tuple[list[tuple[str, float, float]], list[str]]:
    """Rows ``(name, old, new)`` that changed, biggest growth first; names measured once only."""
    rows, unmeasured = [], []
    for name in sorted(set(old) | set(new)):
        if (name not in old and not old_complete) or (name not in new and not new_complete):
            unmeasured.append(name)
            continue
        a, b = old.get(name, 0.0), new.get(name, 0.0)
        if a != b:
            rows.append((name, a, b))
    rows.sort(key=lambda r: (-(r[2] - r[1]), r[0]))
    return rows, unmeasured


def _section(
    title: str, rows: list[tuple[str, float, float]], unit: str = "", limit: int = 20
) -> list[str]:
    if not rows:
        return [f"{title}: no change"]
    lines = [f"{title}:"]
    for name, a, b in rows[:limit]:
        delta = b - a
        change = ("+" if delta > 0 else "-") + human(abs(delta), unit)
        lines.append(f"  {change:>10}  {name}  ({human(a, unit)} -> {human(b, unit)})")
    if len(rows) > limit:
        lines.append(f"  ... and {len(rows) - limit} more")
    return lines


@dataclass(frozen=True)
class Change:
    """One level that differs between the two files."""

    name: str
    old: float
    new: float


@dataclass(frozen=True)
class DiffResult:
    """What ``leakguard diff`` found; ``--format json`` prints it.

    Attributes:
        old: the older file, as given.
        new: the newer file, as given.
        types: types (or containers) whose count changed, biggest growth first.
        sites: allocation sites (``file:line``) whose count changed.
        memory: ``rss``, ``blocks`` and ``objects``, when they changed.
        unmeasured: names measured in one file only (not compared).
        fail_on_growth: the ``--fail-on-growth`` threshold (None: not given).
        grew: the types and sites that grew past it (the reason for exit 1).
    """

    old: str
    new: str
    types: tuple[Change, ...]
    sites: tuple[Change, ...]
    memory: tuple[Change, ...]
    unmeasured: tuple[str, ...]
    fail_on_growth: int | None
    grew: tuple[Change, ...]


def _own(name: str) -> bool:
    """A type of leakguard or of a tool it calls, or a line of their code."""
    if any(name == m or name.startswith(m + ".") for m in OWN_MODULES):
        return True
    path = name.rpartition(":")[0]
    return bool(path) and (file_owner(path) is Owner.LEAKGUARD or is_helper_file(path))


def _rows(changes: list[tuple[str, float, float]]) -> tuple[Change, ...]:
    return tuple(Change(n, a, b) for n, a, b in changes if not _own(n))


def compute_diff(old_path: Path, new_path: Path, fail_on_growth: int | None) -> DiffResult:
    """Compare two files' levels, leaving out leakguard's own objects and lines."""
    old, new = read_profile(old_path), read_profile(new_path)
    types, t_once = compare(old.types, new.types, old.complete, new.complete)
    sites, s_once = compare(old.sites, new.sites, False, False)
    memory, _ = compare(old.memory, new.memory, True, True)
    kept_types, kept_sites = _rows(types), _rows(sites)
    grew: tuple[Change, ...] = ()
    if fail_on_growth is not None:
        grew = tuple(c for c in kept_types + kept_sites if c.new - c.old > fail_on_growth)
    return DiffResult(
        old=str(old_path),
        new=str(new_path),
        types=kept_types,
        sites=kept_sites,
        memory=tuple(Change(n, a, b) for n, a, b in memory),
        unmeasured=tuple(n for n in t_once + s_once if not _own(n)),
        fail_on_growth=fail_on_growth,
        grew=grew,
    )


def diff_text(d: DiffResult) -> str:
    """The diff as the text ``leakguard diff`` prints."""
    lines = [f"leakguard diff: {d.old} -> {d.new}"]
    lines += _section("types (objects or items)", [(c.name, c.old, c.new) for c in d.types])
    sites = [(c.name, c.old, c.new) for c in d.sites]
    lines += _section("allocation sites (blocks or objects)", sites)
    for c in d.memory:
        unit = "bytes" if c.name == "rss" else ""
        lines.append(f"{c.name}: {human(c.old, unit)} -> {human(c.new, unit)}")
    once = d.unmeasured
    if once:
        lines.append(
            f"measured in one file only (not compared): {', '.join(once[:10])}"
            + (f" and {len(once) - 10} more" if len(once) > 10 else "")
        )
    if d.grew:
        worst = ", ".join(f"{c.name} (+{human(c.new - c.old)})" for c in d.grew[:5])
        lines.append(f"FAIL: {len(d.grew)} grew by more than {d.fail_on_growth}: {worst}")
    elif d.fail_on_growth is not None:
        lines.append(f"ok: nothing grew by more than {d.fail_on_growth}")
    return "\n".join(lines)


def diff(args: argparse.Namespace) -> int:
    """``leakguard diff OLD NEW``: exit 1 when a type or site grew past ``--fail-on-growth``."""
    result = compute_diff(args.old, args.new, args.fail_on_growth)
    if args.format == "json":
        print(dumps(document("diff", result)).decode())
    else:
        print(diff_text(result))
    return EXIT_FOUND if result.grew else EXIT_OK
