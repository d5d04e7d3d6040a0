"""Leak signatures: a short, stable hash of the shape of a retention path.

Thousands of leaked instances held the same way share one signature, the same
leak seen in two runs (or two processes) gets the same signature, and a user
can silence one leak with ``ignore=["sig:HEX"]``.

The shape is what a path says about *how* an object is held: module names,
attribute names, container types and the leaked type. Everything a path
renders in square brackets is detail of one instance (dict keys, thread names,
line numbers) and is left out, as are ``#id`` suffixes and hex addresses.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

# Square-bracketed detail, "#<hex id>" suffixes of container names and 0x addresses.
_DETAIL = re.compile(r"\[[^\]]*\]|#[0-9a-fA-F]+\b|0x[0-9a-fA-F]+")

DIGEST_BYTES = 6  # 12 hex characters: short enough to paste, 2**48 values


def shape(path: Sequence[str], leaked_type: str) -> tuple[str, ...]:
    """The parts of a path and type that a signature hashes.

    Args:
        path: a rendered retention path, root first (may be empty).
        leaked_type: the full name of the leaked type (``module.QualName``).

    Returns:
        The path elements and the type with instance detail removed.
    """
    parts = [" ".join(_DETAIL.sub(" ", part).split()) for part in path]
    return (*parts, " ".join(_DETAIL.sub(" ", leaked_type).split()))


def signature(path: Sequence[str], leaked_type: str) -> str:
    """Return a stable short hex hash of a leak's shape.

    Args:
        path: a rendered retention path, root first (may be empty).
        leaked_type: the full name of the leaked type (``module.QualName``).

    Returns:
        12 lowercase hex characters; equal for equal shapes, in any process.
    """
    text = "\x1f".join(shape(path, leaked_type))
    return hashlib.blake2b(
        text.encode("utf-8", "backslashreplace"), digest_size=DIGEST_BYTES
    ).hexdigest()
