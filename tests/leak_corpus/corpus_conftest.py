"""Fixtures shared by the corpus: module- and session-scoped state."""

import pytest


class Connection:
    """A stand-in for an expensive resource built once."""

    def __init__(self) -> None:
        self.rows = [{"id": i} for i in range(200)]


@pytest.fixture(scope="session")
def connection():
    return Connection()


@pytest.fixture(scope="module")
def table():
    return [Connection() for _ in range(5)]


@pytest.fixture
def per_test_list():
    return []
