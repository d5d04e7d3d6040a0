"""The demo service in examples/ is caught leaking, end to end, in a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "leaky_service.py"


def test_leaky_service_is_caught_and_exits_cleanly() -> None:
    """The example exits 0 after its on_leak hook printed a report naming OrderDTO."""
    # Run with default options only: LEAKGUARD_* settings from the caller's shell must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAKGUARD_")}
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--timeout", "60"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    output = f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert done.returncode == 0, output
    assert "leakguard report" in done.stdout, output
    assert "OrderDTO" in done.stdout, output
