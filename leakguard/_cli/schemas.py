"""The JSON Schemas published in ``docs/schema/``: one per ``--format json`` output."""

from __future__ import annotations

from typing import Any

from leakguard._cli.doctor import Diagnosis
from leakguard._cli.report import DiffResult
from leakguard._files.jsonschema import schema_of
from leakguard._model.report import Report

_DOCUMENTS: dict[str, tuple[type, str]] = {
    "report": (Report, "A leakguard report: report --format json, --json files, load_report()"),
    "diff": (DiffResult, "leakguard diff --format json"),
    "doctor": (Diagnosis, "leakguard doctor --format json"),
}


def published() -> dict[str, dict[str, Any]]:
    """File name in ``docs/schema/`` -> the schema it must hold."""
    return {
        f"{kind}.schema.json": schema_of(cls, kind, title)
        for kind, (cls, title) in _DOCUMENTS.items()
    }
