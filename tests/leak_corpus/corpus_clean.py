"""Ordinary tests that keep nothing: each must pass under pytest --leakguard."""

import asyncio
import dataclasses
import functools
import itertools
import logging
import os
import re
import threading
import warnings
from unittest import mock

import pytest

log = logging.getLogger("corpus.clean")
_memo = {}


@functools.lru_cache(maxsize=16)
def square(n):
    return [n * n]


def fib(n):
    if n not in _memo:
        _memo[n] = n if n < 2 else fib(n - 1) + fib(n - 2)
    return _memo[n]


class Point:
    def __init__(self, x):
        self.x = x


def _limit_from_env():
    value = int(os.environ["CORPUS_LIMIT"])
    if value < 5:
        raise ValueError(f"CORPUS_LIMIT must be at least 5, got {value}")
    return value


# First in the file on purpose: the first check of a process to look closer at a
# growth also pays leakguard's own lazy imports, which must not count as survivors.
def test_clean_monkeypatch_setenv_then_raises(monkeypatch):
    monkeypatch.setenv("CORPUS_LIMIT", "2")
    with pytest.raises(ValueError, match="CORPUS_LIMIT"):
        _limit_from_env()


def test_clean_re_cache():
    assert re.match(r"(\d+)-(\w+)", "12-ab").group(2) == "ab"
    assert re.compile(r"[a-z]{3,}").search("xx abcd")


def test_clean_logging():
    logging.getLogger("corpus.clean.sub").warning("disk %s is %d%% full", "/", 91)
    log.info("nothing to see")


def test_clean_lazy_import():
    import decimal
    import fractions
    import json

    assert json.loads("[1]") == [1]
    assert fractions.Fraction(1, 2) + int(decimal.Decimal(1)) == fractions.Fraction(3, 2)


def test_clean_bounded_lru_cache():
    assert [square(i)[0] for i in range(10)][3] == 9


_parse_keys = itertools.count()


@functools.lru_cache(maxsize=256)
def parse(key):
    return Point(key)


def test_clean_bounded_lru_cache_new_key_each_call():
    parse(next(_parse_keys))


def test_clean_dict_memo():
    assert fib(60) == 1548008755920


def test_clean_session_fixture(connection):
    assert len(connection.rows) == 200


def test_clean_module_fixture(table):
    assert len(table) == 5


def test_clean_caplog(caplog):
    with caplog.at_level(logging.INFO):
        log.warning("careful: %s", "x")
    assert "careful" in caplog.text


def test_clean_capsys(capsys):
    print("hello " * 20)
    assert "hello" in capsys.readouterr().out


def test_clean_print_uncaptured():
    print("some output " * 10)


def test_clean_monkeypatch(monkeypatch):
    monkeypatch.setenv("CORPUS_FLAG", "1")
    monkeypatch.setattr(Point, "y", 5, raising=False)
    monkeypatch.setitem(_memo, "patched", 1)
    assert Point(1).y == 5


def test_clean_tmp_path(tmp_path):
    (tmp_path / "out.txt").write_text("data " * 100)
    assert (tmp_path / "out.txt").read_text().startswith("data")


@pytest.mark.parametrize("n", [1, 2, 3])
def test_clean_parametrized(n):
    assert sum(Point(i).x for i in range(n)) >= 0


def test_clean_many_temporaries():
    rows = [{"id": i, "name": f"row{i}", "tags": [i, i + 1]} for i in range(50_000)]
    assert len({r["name"] for r in rows}) == 50_000


def test_clean_catch_warnings():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        warnings.warn("old api", DeprecationWarning, stacklevel=1)
    assert seen


def test_clean_emits_warning():
    warnings.warn("this is deprecated", DeprecationWarning, stacklevel=1)


def test_clean_pytest_warns():
    with pytest.warns(UserWarning):
        warnings.warn("careful", UserWarning, stacklevel=1)


def test_clean_pytest_raises():
    with pytest.raises(ZeroDivisionError):
        _ = 1 / 0


def test_clean_record_property(record_property):
    record_property("answer", 42)


def test_clean_finalizer(request):
    request.addfinalizer(lambda: None)


def test_clean_per_test_fixture_grows(per_test_list):
    per_test_list.append(Point(1))


def test_clean_per_test_fixture_grows_strings(per_test_list):
    per_test_list.append("line " * 60 + str(len(per_test_list)))


def test_clean_class_per_call():
    cls = type("Local", (), {"x": 1})
    dc = dataclasses.make_dataclass("D", [("a", int)])
    assert cls().x == 1 and dc(1).a == 1


def test_clean_asyncio_run():
    async def work():
        await asyncio.gather(*(asyncio.sleep(0) for _ in range(10)))
        return 3

    assert asyncio.run(work()) == 3


def test_clean_thread_joined():
    t = threading.Thread(target=lambda: None)
    t.start()
    t.join()


def test_clean_files_closed(tmp_path):
    with open(tmp_path / "f.txt", "w") as f:
        f.write("x")


def test_clean_mock_patch():
    with mock.patch.object(Point, "__init__", return_value=None) as init:
        Point(1)
    assert init.called


def test_clean_cycles():
    a, b = Point(1), Point(2)
    a.other, b.other = b, a


def test_clean_generators_and_closures():
    gens = [(i for i in range(3)) for _ in range(100)]
    assert sum(sum(g) for g in gens) == 300
