"""The ``leakguard`` command: the parser, ``run``, ``report``/``diff`` and ``doctor``.

The top of the tree: may import the doors and every stage.
"""
