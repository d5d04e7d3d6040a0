"""Evidence a guard saved in its report files, handed back to a replay of its snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from leakguard._detect.book import Key
from leakguard._evidence.rules import ignored
from leakguard._model.report import Report
from leakguard._model.suspect import Suspect

EVIDENCE_FIELDS = ("sites", "path", "signature", "deep_size", "notes", "attributed_to")
"""What a saved suspect knows that its snapshots do not."""


class SavedEvidence:
    """The evidence source of a replay: what the latest saved report says the heap showed.

    Snapshots hold numbers; what the guard found on the heap is in its reports:
    allocation sites, retention paths, signatures, suspects that only evidence finds
    (the lines that memory grew on), and the climbs it let go. So, against the latest
    report of the process:

    - a suspect the replay confirms gets that report's evidence for it;
    - one the replay confirms before that report was made, but that the report does
      not list, was let go by the guard (its path or signature is noise, or it was
      withdrawn) and is dropped;
    - one of that report the snapshots cannot confirm (an allocation line found in a
      trace window) comes in at the sample the guard found it.

    The ignore rules apply to all of them, with the saved path and signature.

    Args:
        latest: the newest report the guard saved (None: there is none).
        rules: the user's ignore rules.
    """

    def __init__(self, latest: Report | None, rules: Sequence[str]) -> None:
        self._saved = {s.key: s for s in latest.suspects} if latest is not None else {}
        self._covered = latest.samples if latest is not None else 0
        self._rules = tuple(rules)
        self._given: set[Key] = set()

    def watch(self, candidates: Sequence[Suspect]) -> None:
        """Nothing to open: the trace window was the guard's."""

    def enrich(self, suspects: Sequence[Suspect]) -> list[Suspect]:
        """Newly confirmed suspects with their saved evidence; those the guard let go dropped."""
        out = []
        for found in suspects:
            saved = self._saved.get(found.key)
            if saved is None and found.first_seen < self._covered:
                continue
            s = found
            if saved is not None:
                s = replace(found, **{k: getattr(saved, k) for k in EVIDENCE_FIELDS})
                self._given.add(s.key)
            if not self._ignored(s):
                out.append(s)
        return out

    def step(self, index: int | None = None) -> list[Suspect]:
        """The saved suspects first seen by sample ``index`` that the replay has not given."""
        if index is None:
            return []
        late = [s for k, s in self._saved.items() if k not in self._given and s.first_seen <= index]
        self._given.update(s.key for s in late)
        return [s for s in late if not self._ignored(s)]

    def close(self) -> None:
        """Nothing to release."""

    def _ignored(self, s: Suspect) -> bool:
        return ignored(s.kind, s.name, s.signature, self._rules, path=s.path)
