"""Whose code is this? One answer for every stage.

``LEAKGUARD_DIR`` is where leakguard itself is installed (with a trailing separator), so
that leakguard's own frames, allocations and roots are told apart from the program's.
"""

from __future__ import annotations

import os

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEAKGUARD_DIR = _PACKAGE_DIR + os.sep
# The same directory as given and with symlinks resolved: a code object may carry either.
LEAKGUARD_DIRS = tuple(dict.fromkeys((LEAKGUARD_DIR, os.path.realpath(_PACKAGE_DIR) + os.sep)))
