"""Reading the heap without running the program's code: retention paths and their
roots, deep sizes, tracemalloc windows, installed packages, and whose code a file is
(``ownership``). Everything here reads objects through ``leakguard._census.safe``.

May import ``_model`` and ``_census``.
"""
