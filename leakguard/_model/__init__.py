"""Values that flow between the stages: snapshots, suspects, reports and the options.

Frozen dataclasses only. Imports nothing of leakguard (a report renders itself by
importing ``leakguard._render`` inside its methods, the one named exception).
"""
