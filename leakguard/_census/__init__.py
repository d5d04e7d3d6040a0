"""What one sample reads from the live process: the type census (and its C engine),
containers the gc cannot see, process memory, gc activity and resources (fds, threads,
tasks).

May import ``_model`` and ``_heap`` only. Nothing here calls user code.
"""
