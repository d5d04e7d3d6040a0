"""Reading the heap without running the program's code: the safe readers, retention
paths and their roots, deep sizes, tracemalloc windows, and whose code a file is.

May import ``_model`` and ``_census``.
"""
