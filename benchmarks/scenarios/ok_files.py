"""Healthy: uploads spooled to files that are opened, written and closed per request."""

from __future__ import annotations

import os
import tempfile

from benchmarks.scenarios._service import handle, make_request, rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
REQUESTS = 20
WORK = REQUESTS


class Scenario:
    """An upload endpoint spooling attachments to a temporary directory."""

    def setup(self) -> None:
        """Create the spool directory."""
        self.dir = tempfile.TemporaryDirectory(prefix="lg-spool-")
        self.rng = rng_for(__name__)

    def step(self, i: int) -> None:
        """Serve a batch; one request in four carries an attachment, processed at once."""
        for k in range(REQUESTS):
            req = make_request(self.rng, i * REQUESTS + k)
            resp = handle(req)
            if req.request_id % 4 == 0:
                path = os.path.join(self.dir.name, f"upload-{req.request_id % 16}.bin")
                with open(path, "wb") as f:
                    f.write(resp.body.encode() * 4)
                with open(path, "rb") as f:
                    f.read()

    def teardown(self) -> None:
        """Remove the directory."""
        self.dir.cleanup()
