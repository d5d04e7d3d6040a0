"""Pure functions of the history: ring buffers per series, the statistics, the trend
rules, the confirmation book and the report assembly. No threads, clock or I/O.

May import ``_model`` only.
"""
