"""The on-disk format: atomic 0600 writes, rotation, the snapshot/report schema,
and the guard's writer (``writer``: what it saves, and when).

May import ``_model`` only.
"""
