"""What one sample reads from the live process (``sample`` reads it all into a snapshot):
the type census (and its C engine), containers the gc cannot see, process memory, gc
activity and resources (fds, threads, tasks), and the safe readers every stage uses to
look at objects (``safe``).

May import ``_model`` only. Nothing here calls user code.
"""
