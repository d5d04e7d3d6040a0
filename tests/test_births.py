"""Births by run: an id counts as a run's survivor only while that very object lives."""

from __future__ import annotations

import pytest

from leakguard._repeat.births import Births
from leakguard._repeat.engine import RepeatOptions, Repetition


class Token:
    def __init__(self, n: int) -> None:
        self.n = n


NAME = f"{__name__}.Token"


def _reborn_at(address: int, keep: list[Token]) -> Token:
    """A new Token at ``address`` (freed just before), holding the misses in ``keep``."""
    for n in range(10_000):
        token = Token(n)
        if id(token) == address:
            return token
        keep.append(token)
    # The allocator may hand the block to someone else first (it does on some versions).
    pytest.skip("the allocator did not hand the freed address back to a new Token")


def test_a_freed_object_whose_address_a_later_run_reuses_is_no_survivor_of_its_run():
    """Run 0's object freed in run 1 and its id reused in run 2 counts for run 2 only."""
    births = Births()
    held: list[Token] = []
    misses: list[Token] = []
    births.after_run([NAME])  # the watch starts
    held.append(Token(0))
    births.after_run(())  # run 0 made it
    address = id(held.pop())  # run 1 frees it
    births.after_run(())
    held.append(_reborn_at(address, misses))  # run 2 makes a new one at the same address
    births.after_run(())
    alive = {id(t) for t in held}
    assert births.survivors(NAME, alive) == [0, 0, 1]


def test_an_object_alive_at_every_census_stays_its_runs_survivor():
    """What a run made and nobody freed is counted for that run on every later census."""
    births = Births()
    held: list[Token] = []
    births.after_run([NAME])
    for n in range(3):
        held.append(Token(n))
        births.after_run(())
    alive = {id(t) for t in held}
    assert births.survivors(NAME, alive) == [1, 1, 1]
    assert births.of([NAME])[NAME] == alive


def test_objects_the_cleanup_frees_and_new_ones_at_their_addresses_are_no_leak():
    """Growth the cleanup releases stays released when new objects of its type reuse its ids."""
    held: list[Token] = []
    reborn: list[Token] = []
    misses: list[Token] = []
    rep = Repetition(RepeatOptions())
    rep.start()
    held.append(Token(0))
    rep.repeat(lambda: held.append(Token(0)))
    while held:  # the cleanup: each freed object's address goes to a new Token
        reborn.append(_reborn_at(id(held.pop()), misses))
    misses.clear()
    verdict = rep.verdict()
    assert not verdict.leaked, verdict.growths
    assert rep.record.pins == {}
