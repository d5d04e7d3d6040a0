"""Which engine samples: the C census, or the pure-Python fallback and why.

``leakguard doctor``, the report header, ``Guard.overhead()`` and one log line per
process say it, so that nobody pays the fallback's cost (about 5x per sample)
without knowing; option ``require_native`` turns the fallback into an error.
"""

from __future__ import annotations

import logging
import sysconfig

from leakguard._census import census
from leakguard._model.engine import Engine

log = logging.getLogger("leakguard")

_announced = False


def free_threaded() -> bool:
    """True on a free-threaded (no-GIL) build, where the C census cannot be built."""
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def current(native: bool = True) -> Engine:
    """The engines a guard with option ``native`` samples with, and why not the C ones."""
    if not native:
        return Engine("pure-Python", "disabled by option 'native'")
    if census.native_available():
        return Engine("C")
    if free_threaded():
        why = "free-threaded build: the C census needs the GIL"
    else:
        why = f"not built: no compiler at install time? ({census.import_error})"
    return Engine("pure-Python", why)


def announce(engine: Engine) -> None:
    """Log which engine samples, once per process (WARNING for an unchosen fallback)."""
    global _announced
    if _announced:
        return
    _announced = True
    if engine.native:
        log.info("leakguard: sampling with the C engines (%s)", engine.describe())
    elif engine.census_why.startswith("disabled"):
        log.info("leakguard: sampling with the pure-Python census (%s)", engine.census_why)
    else:
        log.warning(
            "leakguard: sampling with the pure-Python census, about 5x slower per sample (%s)",
            engine.census_why,
        )


def require(engine: Engine) -> None:
    """Raise ``RuntimeError`` (option ``require_native``) unless the C engines serve."""
    if not engine.native:
        raise RuntimeError(
            "leakguard: option 'require_native' is set but the native census is not in use "
            f"({engine.census_why}); install with a C compiler or unset require_native"
        )
