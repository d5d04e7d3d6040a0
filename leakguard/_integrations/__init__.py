"""Where leakguard plugs into other tools: the pytest plugin and its options, the
Prometheus collector and the WSGI/ASGI middleware.

The top of the tree: may import the doors and every stage.
"""
