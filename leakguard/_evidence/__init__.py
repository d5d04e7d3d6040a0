"""Evidence for a suspect once it is suspected: allocation sites, holders, deep size,
resource groups; the noise rules (allowlist and user ignores), leak signatures and
the objgraph drawing.

May import ``_model``, ``_census``, ``_heap`` and ``_detect``.
"""
