"""Values that flow between the stages: snapshots, suspects, reports, the options, and
the owners of code (with the part of "whose code is this?" a dotted name decides).

Frozen values only. Imports nothing of leakguard (a report renders itself by
importing ``leakguard._render`` inside its methods, the one named exception).
"""
