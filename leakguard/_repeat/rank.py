"""Whose type is it: the program's own, or Python's, an installed package's, a tool's.

Single-run checks blame only the program's own types, and reports list them first.
"""

from __future__ import annotations

import sys

# Packages whose types a single-run check never blames: their objects outlive a
# first call by design (caches, lazy imports, pytest's own records).
_TOOLING = frozenset({"_pytest", "pytest", "pluggy", "leakguard", "py", "_py", "xdist", "execnet"})


def is_user_type(name: str) -> bool:
    """Whether a type comes from the program's own code, not Python or an installed package.

    Args:
        name: the full type name, ``module.QualName``.

    Returns:
        True when the longest imported module prefix of ``name`` is neither in the
        standard library, a testing tool, nor installed under site-packages.
    """
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:i])
        mod = sys.modules.get(module)
        if mod is None:
            continue
        top = module.split(".")[0]
        if top in sys.stdlib_module_names or top in _TOOLING or top == "builtins":
            return False
        path = mod.__dict__.get("__file__") or ""
        return "site-packages" not in path and "dist-packages" not in path
    return False


def rank(kind: str, name: str, per_run: tuple[int, ...]) -> tuple[int, int, int]:
    """Sort key for growths: the user's own first, types before other series, biggest first."""
    user = kind != "type" or is_user_type(name)
    return (0 if user else 1, 0 if kind == "type" else 1, -min(per_run))
