"""Output files of the commands (``-o``, ``--html``, ``--json``): checked first, written
atomically, and a failure is one line naming the flag and the path, never a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

from leakguard._cli.main import BadInput
from leakguard._files.store import atomic_write


def check_output(path: Path | None, flag: str, command: str) -> None:
    """Refuse, before any work, an output path that cannot be written.

    Raises:
        BadInput: its directory is missing or not writable, or the path is a directory.
    """
    if path is None:
        return
    where = f"leakguard {command}: {flag} {path}"
    parent = path.parent
    try:
        if not parent.is_dir():
            raise BadInput(f"{where}: directory {parent} does not exist")
        if len(os.fsencode(path.name)) > _name_max(parent):
            raise BadInput(f"{where}: file name too long")
        if path.is_dir():
            raise BadInput(f"{where}: is a directory, expected a file name")
    except OSError as exc:  # a path too long for the system, a loop of symlinks
        raise BadInput(f"{where}: {exc.strerror or exc}") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BadInput(f"{where}: directory {parent} is not writable")


def _name_max(directory: Path) -> int:
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):  # no pathconf (Windows) or no answer
        return 255


def write_output(path: Path, data: bytes, flag: str, command: str) -> str | None:
    """Write ``data`` to ``path`` atomically; the one-line reason when it could not be.

    The file is complete or absent: a failed write (disk full, the directory made
    read-only meanwhile, a rename refused) leaves no partial file and no temporary.
    """
    try:
        atomic_write(path, data)
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        return f"leakguard {command}: {flag} {path}: cannot write: {why}"
    return None
