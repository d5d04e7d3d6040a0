"""The on-disk format: atomic 0600 writes, rotation, and the snapshot/report schema.

May import ``_model`` only.
"""
