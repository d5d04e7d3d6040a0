"""Which engines a guard runs: the C ones, or the pure-Python fallbacks and why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Engine:
    """The engines a guard samples with, as its report and ``leakguard doctor`` say.

    Attributes:
        census: ``"C"`` (the native census), ``"pure-Python"`` (the fallback, about 5x
            slower per sample), or ``""`` in a report written before this field existed.
        census_why: why the fallback serves (``not built ...``, ``free-threaded ...``,
            ``disabled ...``); empty when the C census is in use.
    """

    census: str = ""
    census_why: str = ""

    @property
    def native(self) -> bool:
        """True when every engine is the C one."""
        return self.census == "C"

    def describe(self) -> str:
        """One line: ``census C`` or ``census pure-Python (not built: ...)``."""
        if not self.census:
            return "census unknown"
        why = f" ({self.census_why})" if self.census_why else ""
        return f"census {self.census}{why}"
