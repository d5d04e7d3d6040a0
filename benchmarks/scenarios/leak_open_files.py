"""Leak: uploaded attachments are spooled to files that are queued "for later" and never closed."""

from __future__ import annotations

import os
import tempfile
from typing import BinaryIO

from benchmarks.scenarios._service import handle, make_request, rng_for

LEAK = True
CULPRITS = (
    "fds:*",
    "type:*.BufferedWriter",
    "type:*.FileIO",
    "container:builtins.list*",
)
REQUESTS = 20
WORK = REQUESTS


class Scenario:
    """An upload endpoint spooling attachments to a temporary directory."""

    def setup(self) -> None:
        """Create the spool directory."""
        self.dir = tempfile.TemporaryDirectory(prefix="lg-spool-")
        # The bug: the worker that closes and processes these was never started.
        self.spool: list[BinaryIO] = []
        self.rng = rng_for(__name__)

    def step(self, i: int) -> None:
        """Serve a batch; one request in ten carries an attachment."""
        for k in range(REQUESTS):
            req = make_request(self.rng, i * REQUESTS + k)
            resp = handle(req)
            if req.request_id % 10 == 0:
                path = os.path.join(self.dir.name, f"upload-{req.request_id}.bin")
                f = open(path, "wb")  # kept open on purpose: this is the leak
                f.write(resp.body.encode() * 4)
                self.spool.append(f)

    def teardown(self) -> None:
        """Close the files and remove the directory."""
        for f in self.spool:
            f.close()
        self.spool.clear()
        self.dir.cleanup()
