"""One confirmation pipeline: the guard and the replay of its files agree."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from helpers import suspect

from leakguard import Guard, Report
from leakguard._cli.report import read_source
from leakguard._evidence.saved import SavedEvidence
from leakguard._files.store import REPORT_SUFFIX


class Order:
    """An object the program below keeps for ever."""


class Line:
    """One that it starts keeping later, and faster."""


def _leak(guard: Guard, samples: int) -> None:
    """Orders leak from the start; lines from sample 6 on, ten times as fast."""
    kept: list[object] = []
    for i in range(samples):
        kept.extend(Order() for _ in range(300))
        kept.extend(Line() for _ in range(3000 if i >= 6 else 0))
        guard.tick(300)
        guard.sample()


def test_replay_without_saved_reports_confirms_ranks_and_folds_as_the_guard(tmp_path: Path) -> None:
    """From its snapshots alone the replay finds the guard's suspects, in the guard's order."""
    out = tmp_path / "snaps"
    with Guard(interval=None, evidence=False, snapshot_dir=str(out), snapshot_keep=1000) as g:
        _leak(g, 24)
        live = g.report()
    for saved in out.glob(f"*{REPORT_SUFFIX}"):
        saved.unlink()
    replayed = read_source(out, None)
    keys = [s.key for s in live.suspects]
    # Ranked, not in the order of confirmation: the bigger leak comes first.
    assert keys.index(("type", f"{__name__}.Line")) < keys.index(("type", f"{__name__}.Order"))
    assert [s.key for s in replayed.suspects] == [s.key for s in live.suspects]
    assert [s.first_seen for s in replayed.suspects] == [s.first_seen for s in live.suspects]
    assert replayed.samples == live.samples


def test_stop_saves_the_report_of_the_last_sample(tmp_path: Path) -> None:
    """After stop() the newest report file in snapshot_dir is the guard's report at the end."""
    out = tmp_path / "snaps"
    with Guard(interval=None, evidence=False, snapshot_dir=str(out), snapshot_keep=1000) as g:
        _leak(g, 20)
        live = g.report()
    saved = read_source(sorted(out.glob(f"*{REPORT_SUFFIX}"))[-1], None)
    assert saved.samples == live.samples == 20
    assert [s.key for s in saved.suspects] == [s.key for s in live.suspects]


def _saved_report(*suspects: object, samples: int = 10) -> Report:
    return Report(suspects=tuple(suspects), samples=samples)  # type: ignore[arg-type]


def test_a_climb_the_guard_let_go_before_its_report_is_dropped() -> None:
    """Confirmed before the saved report was made but not in it: the guard let it go."""
    evidence = SavedEvidence(_saved_report(), ())
    early = replace(suspect("type", "shop.Noise"), first_seen=4)
    late = replace(suspect("type", "shop.Fresh"), first_seen=10)
    assert evidence.enrich([early, late]) == [late]


def test_a_confirmed_suspect_gets_the_saved_evidence() -> None:
    """A suspect the saved report lists comes back with its path and signature."""
    path = ("shop (module)", "_recent (list)", "Order")
    saved = replace(suspect("type", "shop.Order"), path=path, signature="abc123")
    (found,) = SavedEvidence(_saved_report(saved), ()).enrich([suspect("type", "shop.Order")])
    assert (found.path, found.signature) == (path, "abc123")


def test_a_suspect_only_evidence_found_comes_in_at_its_sample() -> None:
    """A saved allocation line is handed over once, at the sample the guard found it."""
    line = replace(suspect("site", "shop.py:17", unit="bytes"), first_seen=7)
    evidence = SavedEvidence(_saved_report(line), ())
    assert evidence.step(6) == []
    assert evidence.step(7) == [line]
    assert evidence.step(8) == []


def test_ignore_rules_apply_to_the_saved_path() -> None:
    """A user's held: rule silences a saved suspect by the path the guard found for it."""
    saved = replace(suspect("type", "shop.Order"), path=("shop.cache (module)", "Order"))
    evidence = SavedEvidence(_saved_report(saved), ("held:shop.cache*",))
    assert evidence.enrich([suspect("type", "shop.Order")]) == []
