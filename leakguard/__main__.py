"""``python -m leakguard`` and the ``leakguard`` console script."""

from __future__ import annotations

import sys

from leakguard._cli.main import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
