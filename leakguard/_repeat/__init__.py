"""The repetition engine behind ``@check`` and the pytest plugin: run a callable several
times, count survivors per run, judge and explain.

May import every stage below it (``_model`` to ``_files``), never a door.
"""
