"""Who holds it: live instances, containers and retention paths on real leaks."""

from __future__ import annotations

import gc
import importlib
import sys
import threading
import uuid
import weakref
from pathlib import Path

from leakguard._heap.paths import find_container, find_instances, retention_path
from tests.helpers import LoadModule

LEAKS = """
class OrderDTO:
    def __init__(self, n):
        self.n = n

_recent = []

class Registry:
    _by_id = {}

def _make():
    registry = []
    def remember(item):
        registry.append(item)
    return remember

remember = _make()
"""


def test_global_list_path_names_module_and_attribute(load_module: LoadModule) -> None:
    """An instance held by a module-level list is traced to that module and attribute."""
    mod = load_module(LEAKS)
    mod._recent.extend(mod.OrderDTO(i) for i in range(3))
    path = retention_path(mod._recent[-1])
    assert path == (f"{mod.__name__} (module)", "_recent (list)", "OrderDTO")


def test_class_attribute_dict_path_names_the_class(load_module: LoadModule) -> None:
    """An instance held in a class attribute dict shows the class, the attribute and the key."""
    mod = load_module(LEAKS)
    mod.Registry._by_id[42] = mod.OrderDTO(42)
    path = retention_path(mod.Registry._by_id[42])
    assert path == (
        f"{mod.__name__} (module)",
        "Registry (class)",
        "_by_id (dict)",
        "[42] (OrderDTO)",
    )


def test_closure_registry_path_names_the_closure_variable(load_module: LoadModule) -> None:
    """An instance held by a list captured in a closure names the function and the variable."""
    mod = load_module(LEAKS)
    mod.remember(mod.OrderDTO(1))
    (leaked,) = find_instances(f"{mod.__name__}.OrderDTO", 1)
    path = retention_path(leaked)
    del leaked
    assert path == (
        f"{mod.__name__} (module)",
        "remember (function)",
        "closure registry (list)",
        "OrderDTO",
    )


def test_instance_attribute_path_names_the_attribute(load_module: LoadModule) -> None:
    """An instance held in another object's attribute names that attribute."""
    mod = load_module(LEAKS + "\nclass Session:\n    pass\n\nsession = Session()\n")
    mod.session.cache = {"k": mod.OrderDTO(1)}
    path = retention_path(mod.session.cache["k"])
    assert path == (
        f"{mod.__name__} (module)",
        "session (Session)",
        "cache (dict)",
        "['k'] (OrderDTO)",
    )


def test_thread_frame_path_names_thread_and_local(load_module: LoadModule) -> None:
    """An object held only by a local of a live thread blocked on an Event is traced to it."""
    mod = load_module(
        """
        class Job:
            pass

        def work(started, release):
            job = Job()
            started.set()
            release.wait()
        """
    )
    started, release = threading.Event(), threading.Event()
    worker = threading.Thread(target=mod.work, args=(started, release), name="lg-worker")
    worker.start()
    try:
        started.wait(10)
        (job,) = find_instances(f"{mod.__name__}.Job", 1)
        path = retention_path(job)
        del job
    finally:
        release.set()
        worker.join()
    assert path is not None
    assert path[0].startswith(f"{mod.__name__}.work() (thread frame) [thread 'lg-worker'")
    assert path[1:] == ("job (Job)",)


def test_module_level_code_in_a_thread_is_rooted_at_the_module(load_module: LoadModule) -> None:
    """A global of a module whose body is still running in a thread is held by the module."""
    ctl = load_module("import threading\nstarted, release = threading.Event(), threading.Event()\n")
    name = f"lg_{uuid.uuid4().hex[:8]}"
    Path(str(ctl.__file__)).with_name(f"{name}.py").write_text(
        f"import {ctl.__name__} as ctl\n\nclass OrderDTO:\n    pass\n\n"
        "_recent = [OrderDTO()]\nctl.started.set()\nctl.release.wait(30)\n"
    )
    importlib.invalidate_caches()
    body = threading.Thread(target=importlib.import_module, args=(name,))
    body.start()
    try:
        ctl.started.wait(10)
        (leaked,) = find_instances(f"{name}.OrderDTO", 1)
        path = retention_path(leaked)
        del leaked
    finally:
        ctl.release.set()
        body.join()
        sys.modules.pop(name, None)
    assert path == (f"{name} (module)", "_recent (list)", "OrderDTO")


def test_code_execd_in_a_plain_namespace_is_rooted_at_that_namespace() -> None:
    """A script exec'd in a thread into a dict no module owns is rooted at that namespace."""
    started, release = threading.Event(), threading.Event()
    source = (
        "class OrderDTO:\n    pass\n\n_recent = [OrderDTO()]\nstarted.set()\nrelease.wait(30)\n"
    )
    namespace = {"__name__": "lg_scriptish", "started": started, "release": release}
    script = threading.Thread(target=exec, args=(compile(source, "<lg>", "exec"), namespace))
    script.start()
    try:
        started.wait(10)
        (leaked,) = find_instances("lg_scriptish.OrderDTO", 1)
        path = retention_path(leaked)
        del leaked
    finally:
        release.set()
        script.join()
    assert path == ("lg_scriptish (module)", "_recent (list)", "OrderDTO")


def test_a_module_global_wins_over_a_thread_local_at_the_same_depth(
    load_module: LoadModule,
) -> None:
    """A list that is both a module global and another thread's local is shown as the global."""
    mod = load_module(
        LEAKS
        + """
def work(started, release):
    recent = _recent
    started.set()
    release.wait(30)
"""
    )
    mod._recent.append(mod.OrderDTO(0))
    started, release = threading.Event(), threading.Event()
    worker = threading.Thread(target=mod.work, args=(started, release))
    worker.start()
    try:
        started.wait(10)
        path = retention_path(mod._recent[0])
    finally:
        release.set()
        worker.join()
    assert path == (f"{mod.__name__} (module)", "_recent (list)", "OrderDTO")


def test_the_calling_threads_own_frames_are_not_roots(load_module: LoadModule) -> None:
    """A local of the caller does not count as the holder: the caller is only looking."""
    mod = load_module(LEAKS)
    only_here = mod.OrderDTO(0)
    notes: list[str] = []
    assert retention_path(only_here, notes=notes) is None
    assert notes and "no root holds it" in notes[0]


def test_timeout_returns_none_with_a_note(load_module: LoadModule) -> None:
    """A search out of time returns None and says so, without raising."""
    mod = load_module(LEAKS)
    mod._recent.append(mod.OrderDTO(0))
    notes: list[str] = []
    assert retention_path(mod._recent[0], seconds=0.0, notes=notes) is None
    assert notes == ["retention path search timed out after 0 s"]


def test_depth_limit_returns_none_with_a_note(load_module: LoadModule) -> None:
    """A holder deeper than max_depth is reported as not found within the depth."""
    mod = load_module(LEAKS)
    leaf = mod.OrderDTO(0)
    nested: list[object] = [leaf]
    for _ in range(10):
        nested = [nested]
    mod._recent.append(nested)
    notes: list[str] = []
    assert retention_path(leaf, max_depth=5, notes=notes) is None
    assert notes == ["no root within 5 references"]


HOSTILE = """
calls = []
armed = []  # __hash__ works while the test builds its dict, then raises too

class Hostile:
    def __repr__(self):
        calls.append("repr"); raise RuntimeError("repr")
    def __eq__(self, other):
        calls.append("eq"); raise RuntimeError("eq")
    def __hash__(self):
        calls.append("hash")
        if armed:
            raise RuntimeError("hash")
        return 1
    def __getattr__(self, name):
        calls.append("getattr " + name); raise AttributeError(name)
    def __getattribute__(self, name):
        calls.append("getattribute " + name)
        return object.__getattribute__(self, name)
    @property
    def __class__(self):
        calls.append("class"); return int
    def __sizeof__(self):
        calls.append("sizeof"); raise RuntimeError("sizeof")

holder = Hostile()
table = {}
"""


def test_hostile_objects_are_never_called(load_module: LoadModule) -> None:
    """Objects whose dunders raise or lie are searched through without calling them."""
    mod = load_module(HOSTILE)
    key, leaked = mod.Hostile(), mod.Hostile()
    object.__setattr__(mod.holder, "items", [leaked])
    mod.table[key] = mod.holder
    mod.armed.append(True)
    mod.calls.clear()
    path = retention_path(leaked)
    found = find_instances(f"{mod.__name__}.Hostile", 5)
    del found
    assert mod.calls == []
    assert path == (f"{mod.__name__} (module)", "holder (Hostile)", "items (list)", "Hostile")


def test_hostile_dict_keys_are_rendered_by_type(load_module: LoadModule) -> None:
    """A dict key whose __repr__ raises is shown as its type name, not repr'd."""
    mod = load_module(HOSTILE)
    key, value = mod.Hostile(), [1, 2, 3]
    mod.table[key] = value
    mod.armed.append(True)
    mod.calls.clear()
    path = retention_path(value)
    assert mod.calls == []
    assert path == (f"{mod.__name__} (module)", "table (dict)", "[<Hostile>] (list)")


def test_no_reference_is_kept_after_the_search(load_module: LoadModule) -> None:
    """Once the holder lets go, the object dies: the search kept nothing."""
    mod = load_module(LEAKS)
    mod._recent.append(mod.OrderDTO(0))
    alive = weakref.ref(mod._recent[0])
    assert retention_path(mod._recent[0]) is not None
    mod._recent.clear()
    gc.collect()
    assert alive() is None


def test_find_instances_returns_newest_first(load_module: LoadModule) -> None:
    """The instances returned are the most recently created ones, newest first."""
    mod = load_module(LEAKS)
    gc.collect()  # start from empty young generations, so none is merged mid-test
    mod._recent.extend(mod.OrderDTO(i) for i in range(100))
    found = find_instances(f"{mod.__name__}.OrderDTO", 3)
    numbers = [o.n for o in found]
    del found
    assert numbers == [99, 98, 97]


def test_find_instances_of_an_untracked_type_is_empty() -> None:
    """Types gc does not track (str) have no instances to find; no error."""
    assert find_instances("builtins.str", 3) == []
    assert find_instances("no.such.Type", 3) == []


def test_find_container_checks_the_type(load_module: LoadModule) -> None:
    """A container is found by id only while the id still belongs to a container of that type."""
    mod = load_module(LEAKS)
    key = id(mod._recent)
    assert find_container(key, "builtins.list") is mod._recent
    assert find_container(key, "builtins.dict") is None
    assert find_container(0, "builtins.list") is None


def test_suspended_task_path_names_the_coroutine_and_local(load_module: LoadModule) -> None:
    """An object held only by a local of a suspended asyncio task is traced to that task."""
    import asyncio

    mod = load_module(
        """
        class Job:
            pass

        async def hold(release):
            job = Job()
            await release.wait()
        """
    )
    loop = asyncio.new_event_loop()
    try:
        release = asyncio.Event()
        task = loop.create_task(mod.hold(release))
        loop.run_until_complete(asyncio.sleep(0))
        (job,) = find_instances(f"{mod.__name__}.Job", 1)
        path = retention_path(job)
        del job
        release.set()
        loop.run_until_complete(task)
    finally:
        loop.close()
    assert path == (f"{mod.__name__}.hold() (task coroutine)", "job (Job)")
