"""Evidence for a suspect once it is suspected: allocation sites, holders, deep size,
resource groups; the noise rules (allowlist and user ignores), leak signatures and
the objgraph drawing; and the one confirmation pipeline every door runs
(``pipeline``: history, detector, noise filter, confirmation, evidence, rank and
fold), with the evidence a guard saved for its replay (``saved``).

May import ``_model``, ``_census``, ``_heap`` and ``_detect``.
"""
