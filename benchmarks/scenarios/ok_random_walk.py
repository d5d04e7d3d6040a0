"""Healthy: a session table whose size random-walks (logins and logouts), reflected at zero."""

from __future__ import annotations

from benchmarks.scenarios._service import handle, make_request, rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
REQUESTS = 20
WORK = REQUESTS


class Session:
    """A logged-in user's session."""

    def __init__(self, token: str, user: str) -> None:
        self.token = token
        self.user = user
        self.data: dict[str, object] = {"cart": [], "locale": "en"}


_sessions: dict[str, Session] = {}
_rng = rng_for(__name__)


def step(i: int) -> None:
    """Serve a batch; some users log in, some log out, as many of each on average."""
    for _ in range(_rng.randint(0, 12)):
        token = f"tok-{_rng.getrandbits(48):012x}"
        _sessions[token] = Session(token, f"user-{_rng.randint(1, 10_000)}")
    for _ in range(min(_rng.randint(0, 12), len(_sessions))):
        del _sessions[_rng.choice(list(_sessions))]
    for k in range(REQUESTS):
        handle(make_request(_rng, i * REQUESTS + k))


def teardown() -> None:
    """Log everybody out."""
    _sessions.clear()
