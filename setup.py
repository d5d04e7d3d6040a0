"""Declares the optional C census; all other metadata lives in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        # optional=True: when no compiler is available (or the build fails) the
        # install still succeeds and leakguard uses its pure-Python census.
        Extension("leakguard._ccensus", ["leakguard/_census/ccensus.c"], optional=True),
    ],
)
