"""The detector as tables: series -> verdict, with default options."""

from __future__ import annotations

import math
import random

import pytest

from leakguard._config import Options
from leakguard._detect.trend import detect, rank
from tests.helpers import MANUAL, first_confirmation, history_of, noisy, trend_of

N = 20


def _walk(seed: int) -> list[float]:
    r = random.Random(seed)
    x, out = 1000.0, []
    for _ in range(N):
        x += r.choice((-1, 1)) * r.randint(5, 40)
        out.append(x)
    return out


CLIMBING = {
    "steady leak": [1000 + 20 * i for i in range(N)],
    # Telling this from a random walk takes about 20 samples (the shape tests' price).
    "leak under tidal garbage": noisy([1000 + 20 * i for i in range(30)], 60),
    "leak whose rate follows load": [
        1000 + sum(20 * (1 + math.sin(k / 3)) for k in range(i)) for i in range(N)
    ],
    "slow leak of big counts": [500_000 + 100 * i for i in range(N)],
}

TIDAL = {
    "flat": [1000.0] * N,
    "tidal garbage": noisy([1000.0] * N, 400),
    "one-time step": [1000.0 if i < 10 else 3000.0 for i in range(N)],
    "cache filling during warm-up then level": [1000 + 100 * min(i, 5) for i in range(N)],
    "sawtooth flushed every 6 samples": [1000 + 100 * (i % 6) for i in range(N)],
    "load waves": [1000 + 400 * math.sin(2 * math.pi * i / 12) for i in range(N)],
    "shrinking": [5000 - 20 * i for i in range(N)],
    "growth below the minimum": [1000 + i // 2 for i in range(N)],
    "random walk (seed 3)": _walk(3),
    "random walk (seed 4)": _walk(4),
}


@pytest.mark.parametrize("name", CLIMBING)
def test_leaking_series_climb(name: str) -> None:
    """Each leaking shape is confirmed as a climb while it is sampled."""
    assert first_confirmation(CLIMBING[name]) is not None


@pytest.mark.parametrize("name", TIDAL)
def test_tidal_series_do_not_climb(name: str) -> None:
    """Each healthy shape is never confirmed as a climb while it is sampled."""
    assert first_confirmation(TIDAL[name]) is None


def test_a_steady_leak_is_confirmed_within_ten_samples() -> None:
    """A clean linear leak is confirmed at the earliest the options allow."""
    earliest = MANUAL.warmup + MANUAL.min_samples + MANUAL.confirm - 2
    assert first_confirmation(CLIMBING["steady leak"]) == earliest < 10


def test_a_leak_that_starts_after_a_long_flat_history_is_caught() -> None:
    """A leak starting at sample 40 is confirmed within ten samples of its start."""
    values = [1000.0] * 40 + [1000 + 30 * i for i in range(1, 20)]
    found = first_confirmation(values)
    assert found is not None and found - 40 <= 10


def test_warmup_samples_are_ignored() -> None:
    """Growth confined to warm-up samples is not a climb."""
    values = [0, 5000] + [5000.0] * 10
    assert trend_of(values) is None


def test_too_few_samples_give_no_verdict() -> None:
    """Below min_samples after warm-up there is no verdict, however steep the climb."""
    values = [1000 + 100 * i for i in range(MANUAL.warmup + MANUAL.min_samples - 1)]
    assert trend_of(values) is None


def test_a_climb_is_confirmed_only_after_consecutive_samples() -> None:
    """The first sample that climbs has streak 1; confirmation needs `confirm` in a row."""
    values = [1000.0] * 8 + [1000 + 100 * i for i in range(1, 12)]
    first = next(k for k in range(len(values)) if trend_of(values[: k + 1]) is not None)
    assert trend_of(values[: first + 1]).streak == 1  # type: ignore[union-attr]
    assert trend_of(values[: first + 2]).streak == 2  # type: ignore[union-attr]


def test_growth_per_unit_of_work() -> None:
    """With work counted, the rate per unit of work is the slope against work."""
    works = [10 * i for i in range(N)]
    trend = trend_of([1000 + 20 * i for i in range(N)], works=works)
    assert trend is not None and trend.rate_per_work == pytest.approx(2.0)


def test_growth_per_minute_uses_sample_times() -> None:
    """Samples one minute apart give the rate per minute equal to the rate per sample."""
    trend = trend_of([1000 + 20 * i for i in range(N)])
    assert trend is not None and trend.rate_per_minute == pytest.approx(20.0)


def test_growth_is_attributed_to_the_watched_function_that_explains_it() -> None:
    """A watched function whose calls track the growth gets it; an idle one does not."""
    calls = [{"shop.checkout": 10 * i, "shop.health": 3} for i in range(N)]
    trend = trend_of([1000 + 20 * i for i in range(N)], watched=calls)
    assert trend is not None
    assert trend.attributed_to == (("shop.checkout", pytest.approx(2.0)),)


def test_min_growth_option_is_respected() -> None:
    """A larger min_growth silences a climb below it."""
    values = [1000 + 20 * i for i in range(N)]
    assert trend_of(values, Options(interval=None, min_growth=10_000)) is None


def test_resource_series_need_only_a_few_units() -> None:
    """Four more open fds, one per sample, is a climb."""
    values = [10 + i for i in range(N)]
    trend = trend_of(values, kind="fds", name="open fds", unit="fds")
    assert trend is not None


def test_memory_series_use_the_byte_threshold() -> None:
    """RSS growing 1 MiB per sample is a climb; 1 KiB per sample is not."""
    mib = [100e6 + (1 << 20) * i for i in range(N)]
    kib = [100e6 + 1024 * i for i in range(N)]
    assert trend_of(mib, kind="memory", name="rss", unit="bytes") is not None
    assert trend_of(kib, kind="memory", name="rss", unit="bytes") is None


def test_rank_puts_user_types_before_their_builtins_and_memory() -> None:
    """Equally certain climbs rank user type, container, builtin type, then memory."""
    values = [1000 + 20 * i for i in range(N)]
    mem = [100e6 + (1 << 20) * i for i in range(N)]
    trends = [
        trend_of(mem, kind="memory", name="rss", unit="bytes"),
        trend_of(values, name="builtins.dict"),
        trend_of(values, kind="container", name="builtins.list#1", unit="items"),
        trend_of(values, name="shop.OrderDTO"),
    ]
    names = [t.name for t in rank([t for t in trends if t is not None])]
    assert names == ["shop.OrderDTO", "builtins.list#1", "builtins.dict", "rss"]


def test_rank_puts_resources_before_the_stdlib_objects_that_come_with_them() -> None:
    """Leaked threads rank as 'threads' before their _thread.lock and threading.Thread objects."""
    values = [10 + 20 * i for i in range(N)]
    trends = [
        trend_of(values, name="_thread.lock"),
        trend_of(values, name="threading.Thread"),
        trend_of(values, kind="threads", name="threads", unit="threads"),
    ]
    assert rank([t for t in trends if t is not None])[0].name == "threads"


def test_a_type_of_the_main_script_is_an_application_type() -> None:
    """__main__.OrderDTO ranks before builtins.list: a script's classes are the user's own."""
    values = [1000 + 20 * i for i in range(N)]
    trends = [trend_of(values, name="builtins.list"), trend_of(values, name="__main__.OrderDTO")]
    assert rank([t for t in trends if t is not None])[0].name == "__main__.OrderDTO"


def test_detect_reports_only_climbing_series() -> None:
    """detect() returns the climbing series of a history and nothing else."""
    history, _ = history_of([1000 + 20 * i for i in range(N)])
    flat, _ = history_of([1000.0] * N, name="shop.Flat")
    history._series.update(flat._series)
    assert [t.name for t in detect(history, MANUAL)] == ["shop.OrderDTO"]
