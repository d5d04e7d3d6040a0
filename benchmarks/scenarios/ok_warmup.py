"""Healthy: a template cache that compiles on first use; all templates are in use after 5 steps."""

from __future__ import annotations

from benchmarks.scenarios._service import handle, make_request, rng_for

LEAK = False
CULPRITS: tuple[str, ...] = ()
REQUESTS = 20
WORK = REQUESTS
TEMPLATES = 400
WARM_STEPS = 5


class Template:
    """A compiled template: literal parts and placeholders."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.parts = [
            ("text", f"<h1>{name}</h1>"),
            ("var", "customer"),
            ("text", "<p>"),
            ("var", "total"),
        ]
        self.placeholders = {"customer", "total"}

    def render(self, values: dict[str, str]) -> str:
        """Fill the placeholders."""
        return "".join(values[p] if kind == "var" else p for kind, p in self.parts)


_compiled: dict[str, Template] = {}
_rng = rng_for(__name__)


def _template(name: str) -> Template:
    if name not in _compiled:
        _compiled[name] = Template(name)
    return _compiled[name]


def step(i: int) -> None:
    """Serve a batch; new pages go live during the first steps, then the set is stable."""
    per_step = TEMPLATES // WARM_STEPS
    if i < WARM_STEPS:
        for n in range(i * per_step, (i + 1) * per_step):
            _template(f"page-{n}")
    live = min(i + 1, WARM_STEPS) * per_step
    for k in range(REQUESTS):
        handle(make_request(_rng, i * REQUESTS + k))
        page = _template(f"page-{_rng.randrange(live)}")
        page.render({"customer": "c", "total": "1.0"})


def teardown() -> None:
    """Drop the compiled templates."""
    _compiled.clear()
