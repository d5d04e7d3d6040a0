"""Floors derived from a series' own noise, for signals with no natural unit of growth.

The native heap moves by whatever C code and Python's large objects do: a few
KiB in a quiet worker, megabytes in a service that parses big requests. A fixed
floor is either deaf in the first or jumpy in the second, so the floor is the
rise that the series' own noise does not make between two low tides.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence

NATIVE_MIN_GROWTH = 1 << 20
"""The native heap's floor on a quiet heap: 1 MiB, less than any C leak worth a report
makes in a window (a 256 KiB-per-sample leak passes it in five samples), more than an
extension's one-time warm-up in the scenarios measured (at most 0.6 MiB)."""

NOISE_K = 4.0
"""The floor is this many robust standard deviations of the step-to-step change: level
noise of deviation s makes steps of deviation 1.4 s, so the floor is about 5.7 s, a
rise a tidal series' low tide makes by chance with probability below 1e-6."""

_MAD_TO_SD = 1.4826
"""A Gaussian's standard deviation per median absolute deviation."""


def step_noise(values: Sequence[float]) -> float:
    """Robust standard deviation of the steps around their median step (0 with < 3 levels).

    A steady leak has equal steps and no noise however fast it grows; a tidal
    series' steps scatter by its noise.
    """
    if len(values) < 3:
        return 0.0
    steps = [b - a for a, b in itertools.pairwise(values)]
    middle = statistics.median(steps)
    return _MAD_TO_SD * statistics.median([abs(d - middle) for d in steps])


def noise_floor(values: Sequence[float], minimum: float) -> float:
    """The smallest low-tide rise of ``values`` that counts: ``minimum`` or NOISE_K noises."""
    return max(minimum, NOISE_K * step_noise(values))
