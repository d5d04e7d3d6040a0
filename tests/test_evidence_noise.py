"""Leak signatures, the shipped allowlist and the user's ignore rules."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from leakguard._evidence.rules import ALLOWLIST, check_rules, holder, ignored
from leakguard._evidence.signature import signature
from leakguard._heap.paths import retention_path

PATH = ("shop.orders (module)", "_recent (list)", "OrderDTO")

SCRIPT = """
import sys
sys.path.insert(0, {dir!r})
import {module} as mod
from leakguard._heap.paths import retention_path
from leakguard._evidence.signature import signature
for i in range(50):
    {leak}
print(signature(retention_path({leaked}) or (), "{module}.Order"))
"""


def _run_signature(tmp_path: Path, leak: str, leaked: str) -> str:
    (tmp_path / "shop_sig.py").write_text(
        "class Order:\n    pass\n\nclass Cache:\n    by_id = {}\n\n_recent = []\n"
    )
    code = SCRIPT.format(dir=str(tmp_path), module="shop_sig", leak=leak, leaked=leaked)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_signature_is_stable_across_two_runs(tmp_path: Path) -> None:
    """The same leak shape in two separate processes gets the same signature."""
    leak, leaked = "mod._recent.append(mod.Order())", "mod._recent[-1]"
    first = _run_signature(tmp_path, leak, leaked)
    second = _run_signature(tmp_path, leak, leaked)
    assert re.fullmatch(r"[0-9a-f]{12}", first)
    assert first == second


def test_signature_differs_for_a_different_shape(tmp_path: Path) -> None:
    """A leak held another way (class dict instead of module list) gets another signature."""
    by_list = _run_signature(tmp_path, "mod._recent.append(mod.Order())", "mod._recent[-1]")
    by_dict = _run_signature(tmp_path, "mod.Cache.by_id[i] = mod.Order()", "mod.Cache.by_id[7]")
    assert by_list != by_dict


def test_signature_ignores_keys_thread_names_and_ids() -> None:
    """Bracketed instance detail and #id suffixes do not change the signature."""
    one = ("shop (module)", "_by_user (dict)", "[42] (list)", "Order")
    two = ("shop (module)", "_by_user (dict)", "['alice'] (list)", "Order")
    assert signature(one, "shop.Order") == signature(two, "shop.Order")
    assert signature((), "builtins.dict#7f00aa") == signature((), "builtins.dict#7f00bb")
    frame_a = ("w.run() (thread frame) [thread 'Thread-1', w.py:3]", "job (Job)")
    frame_b = ("w.run() (thread frame) [thread 'Thread-9', w.py:7]", "job (Job)")
    assert signature(frame_a, "w.Job") == signature(frame_b, "w.Job")


def test_signature_depends_on_attribute_and_type_names() -> None:
    """Changing an attribute name or the leaked type changes the signature."""
    base = signature(PATH, "shop.orders.OrderDTO")
    assert (
        signature(("shop.orders (module)", "_old (list)", "OrderDTO"), "shop.orders.OrderDTO")
        != base
    )
    assert signature(PATH, "shop.orders.Invoice") != base


def test_holder_is_the_dotted_attribute_chain_from_the_module() -> None:
    """The holder reads module and attribute names up to the first non-attribute step."""
    assert holder(PATH) == "shop.orders._recent"
    path = ("shop (module)", "Registry (class)", "_by_id (dict)", "[42] (Order)")
    assert holder(path) == "shop.Registry._by_id"
    assert holder(("w.run() (thread frame) [thread 'x', w.py:1]", "job (Job)")) is None


def test_type_name_pattern_rule() -> None:
    """An fnmatch pattern silences types whose full name matches it."""
    assert ignored("type", "myapp.cache.Entry", None, ["myapp.cache.*"])
    assert not ignored("type", "myapp.models.Order", None, ["myapp.cache.*"])


def test_module_rule_covers_the_package_and_its_holders() -> None:
    """module:NAME silences types from that package and leaks held by its modules."""
    rules = ["module:myapp.cache"]
    assert ignored("type", "myapp.cache.Entry", None, rules)
    assert ignored("type", "myapp.cache.lru.Node", None, rules)
    assert not ignored("type", "myapp.cachet.Entry", None, rules)
    held = ("myapp.cache.store (module)", "_entries (dict)")
    assert ignored("container", "builtins.dict#1", None, rules, path=held)


def test_signature_rule_silences_one_leak() -> None:
    """sig:HEX silences the leak with exactly that signature, and no other."""
    sig = signature(PATH, "shop.orders.OrderDTO")
    assert ignored("type", "shop.orders.OrderDTO", sig, [f"sig:{sig.upper()}"])
    assert not ignored("type", "shop.orders.OrderDTO", "0" * 12, [f"sig:{sig}"])
    assert not ignored("type", "shop.orders.OrderDTO", None, [f"sig:{sig}"])


def test_held_rule_matches_the_holder() -> None:
    """held:PATTERN silences leaks by who holds them."""
    assert ignored("type", "shop.orders.OrderDTO", None, ["held:shop.orders._rec*"], path=PATH)
    assert not ignored("type", "shop.orders.OrderDTO", None, ["held:shop.other.*"], path=PATH)


def test_allowlist_silences_the_re_cache_but_not_user_types() -> None:
    """The shipped allowlist covers the re module's cache, not the user's own types."""
    re_cache = ("re (module)", "_cache (dict)")
    assert ignored("container", "builtins.dict#1", None, [], path=re_cache)
    assert not ignored("container", "builtins.dict#1", None, [], path=re_cache, allowlist=False)
    assert ignored("type", "typing._GenericAlias", None, [])
    assert not ignored("type", "shop.orders.OrderDTO", None, [], path=PATH)


def test_threads_still_starting_are_not_a_growing_container() -> None:
    """threading._limbo, holding threads started but not yet running, is allowlisted."""
    # Holding the lock keeps the new thread in _limbo: its bootstrap needs the lock to leave.
    lock: Any = vars(threading)["_active_limbo_lock"]
    go = threading.Event()
    worker = threading.Thread(target=go.wait, daemon=True)
    with lock:
        worker.start()
        limbo: Any = vars(threading)["_limbo"]
        starting = worker in limbo
        path = retention_path(limbo, seconds=1.0) or ()
        name = f"builtins.dict#{id(limbo):x}"
    go.set()
    worker.join()
    assert starting
    assert holder(path) == "threading._limbo"
    assert ignored("container", name, None, [], path=path)
    assert not ignored("container", name, None, [], path=path, allowlist=False)


def test_every_allowlist_entry_is_a_valid_rule() -> None:
    """The shipped allowlist passes the same validation as user rules."""
    check_rules(ALLOWLIST, "the allowlist")


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("sig:xyz", "a signature is 6-64 hex characters"),
        ("module:", "names nothing"),
        ("  ", "empty ignore rule"),
    ],
)
def test_bad_rules_fail_with_one_line(rule: str, message: str) -> None:
    """A malformed rule is rejected with a message naming the rule and its source."""
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        check_rules([rule], "environment variable LEAKGUARD_IGNORE")
    assert "\n" not in str(info.value)
    assert "LEAKGUARD_IGNORE" in str(info.value)


def test_malformed_rules_never_raise_from_ignored() -> None:
    """ignored() treats a malformed rule as matching nothing rather than raising."""
    assert not ignored("type", "a.B", None, ["sig:zz", "module:", "[unclosed"])
