"""The command line as scripts use it: --version, usage, JSON output and its schemas, pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import leakguard
from leakguard import Census, Process, Snapshot
from leakguard._cli.schemas import published
from leakguard._files.store import SnapshotDir, snapshot_to_dict

T0 = 1_700_000_000.0
SCHEMA_DIR = Path(__file__).resolve().parents[1] / "docs" / "schema"
CONSOLE_SCRIPT = Path(sysconfig.get_path("scripts")) / "leakguard"
FAST = {"LEAKGUARD_BUDGET": "0.5", "LEAKGUARD_EVIDENCE": "0"}


def leakguard_cmd(
    *args: str, cwd: Path, script: bool = False, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    cmd = [str(CONSOLE_SCRIPT)] if script else [sys.executable, "-m", "leakguard"]
    return subprocess.run(
        [*cmd, *args],
        check=False,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def snapshot(i: int, extra: dict[str, tuple[int, int]] | None = None) -> Snapshot:
    orders = 50 + 100 * i
    types = {"shop.OrderDTO": (orders, orders * 48), "builtins.dict": (5000, 320_000)}
    types.update(extra or {})
    return Snapshot(
        index=i,
        time=T0 + 10 * i,
        work=0,
        census=Census(types=types, containers=(), objects=sum(n for n, _ in types.values())),
        process=Process(rss=60_000_000 + 400_000 * i, blocks=100_000 + 200 * i),
    )


def snapshot_dir(path: Path, samples: int = 20) -> Path:
    d = SnapshotDir(path, keep=1000, max_bytes=10**8)
    for i in range(samples):
        d.write_snapshot(snapshot(i))
    return path


def validate(kind: str, text: str) -> dict[str, Any]:
    data = json.loads(text)
    schema = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["kind"] == kind
    return dict(data)


def test_version_flag_prints_the_package_version(tmp_path: Path) -> None:
    """``leakguard --version`` prints ``leakguard <version>`` on stdout and exits 0."""
    done = leakguard_cmd("--version", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, f"leakguard {leakguard.__version__}\n")


def test_bare_command_prints_usage_and_exits_2(tmp_path: Path) -> None:
    """A bare ``leakguard`` prints the usage and the commands on stderr, exit 2 (bad input)."""
    done = leakguard_cmd(cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("usage: leakguard")
    for command in ("run", "report", "diff", "doctor"):
        assert command in done.stderr


def test_published_schemas_are_current() -> None:
    """docs/schema/ holds exactly the schemas derived from the output types (docs/samples.py)."""
    expected = published()
    assert sorted(p.name for p in SCHEMA_DIR.glob("*.schema.json")) == sorted(expected)
    for name, schema in expected.items():
        assert json.loads((SCHEMA_DIR / name).read_text()) == schema, f"{name} is stale"


def test_report_format_json_validates_and_loads_back(tmp_path: Path) -> None:
    """``report --format json`` prints a schema-valid report that load_report() reads back."""
    snapshot_dir(tmp_path / "snaps")
    done = leakguard_cmd("report", "snaps", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = validate("report", done.stdout)
    assert [s["name"] for s in data["suspects"]] == ["shop.OrderDTO"]
    (tmp_path / "r.json").write_text(done.stdout)
    loaded = leakguard.load_report(tmp_path / "r.json")
    assert loaded.suspects[0].name == "shop.OrderDTO"
    assert json.loads(loaded.to_json()) == data


def test_load_report_names_the_file_when_it_is_not_a_report(tmp_path: Path) -> None:
    """load_report() of a snapshot file raises ValueError naming the file and the mismatch."""
    path = tmp_path / "s.json"
    path.write_text(json.dumps(snapshot_to_dict(snapshot(0))))
    with pytest.raises(ValueError, match=r"s\.json: is a leakguard snapshot file, expected"):
        leakguard.load_report(path)


def test_report_refuses_json_format_with_an_output_file(tmp_path: Path) -> None:
    """``-o x.html --format json`` is bad input (exit 2, one line), nothing written."""
    snapshot_dir(tmp_path / "snaps")
    done = leakguard_cmd("report", "snaps", "-o", "x.html", "--format", "json", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert not (tmp_path / "x.html").exists()


def test_diff_format_json_validates_and_keeps_the_exit_code(tmp_path: Path) -> None:
    """``diff --format json --fail-on-growth`` prints a schema-valid diff and still exits 1."""
    for name, i in (("old.json", 0), ("new.json", 10)):
        (tmp_path / name).write_text(json.dumps(snapshot_to_dict(snapshot(i))))
    args = ("diff", "old.json", "new.json", "--format", "json", "--fail-on-growth", "500")
    done = leakguard_cmd(*args, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    data = validate("diff", done.stdout)
    assert data["grew"] == [{"name": "shop.OrderDTO", "old": 50.0, "new": 1050.0}]


def test_diff_leaves_out_leakguards_own_objects(tmp_path: Path) -> None:
    """Types of leakguard, pympler and objgraph that grew between files never show in diff."""
    own = {
        "leakguard._model.suspect.Suspect": (40, 4000),
        "pympler.asizeof._Typedef": (300, 30000),
        "objgraph.Whatever": (5, 500),
    }
    (tmp_path / "old.json").write_text(json.dumps(snapshot_to_dict(snapshot(0))))
    (tmp_path / "new.json").write_text(json.dumps(snapshot_to_dict(snapshot(10, own))))
    done = leakguard_cmd("diff", "old.json", "new.json", "--fail-on-growth", "1", cwd=tmp_path)
    assert "shop.OrderDTO" in done.stdout
    for name in own:
        assert name not in done.stdout
    assert "FAIL: 1 grew" in done.stdout


def test_doctor_format_json_validates(tmp_path: Path) -> None:
    """``doctor --format json`` prints a schema-valid diagnosis naming the census engine."""
    done = leakguard_cmd("doctor", "--format", "json", cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    data = validate("doctor", done.stdout)
    assert data["census"] in ("C", "pure-Python")
    assert (done.returncode == 1) == bool(data["problems"])


def test_run_dash_m_through_the_console_script_finds_a_module_in_cwd(tmp_path: Path) -> None:
    """The installed ``leakguard`` script runs ``-m mod`` from the current directory."""
    assert CONSOLE_SCRIPT.exists(), "install the package: the console script is under test"
    (tmp_path / "hello_mod.py").write_text("import sys; print('hello', sys.argv[1:])\n")
    done = leakguard_cmd(
        "run", "--interval", "0.05", "-m", "hello_mod", "x", cwd=tmp_path, script=True, env=FAST
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "hello ['x']\n"


def test_report_into_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    """``leakguard report ... | head`` with stdout closed early: no traceback, exit 141."""
    snapshot_dir(tmp_path / "snaps")
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written
    try:
        done = subprocess.run(
            [sys.executable, "-m", "leakguard", "report", "snaps"],
            check=False,
            cwd=tmp_path,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, "")


def test_run_with_html_shows_none_of_the_renderers_imports(tmp_path: Path) -> None:
    """With --html, the html module's entity tables (born at first import) are in no report."""
    program = """
        import time
        class Order: pass
        keep = []
        for i in range(120):
            keep.extend(Order() for _ in range(200))
            time.sleep(0.05)
    """
    (tmp_path / "leak.py").write_text(textwrap.dedent(program))
    env = {"LEAKGUARD_BUDGET": "0.5"}
    done = leakguard_cmd(
        "run", "--interval", "0.1", "--html", "out.html", "leak.py", cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stderr
    assert "__main__.Order" in done.stderr
    assert "entities.py" not in done.stderr
    assert "entities.py" not in (tmp_path / "out.html").read_text()


def test_report_from_snapshots_lists_none_of_leakguards_own_types(tmp_path: Path) -> None:
    """A replayed report drops leakguard's own values (its snapshot history) as the Guard does."""
    d = SnapshotDir(tmp_path / "snaps", keep=1000, max_bytes=10**8)
    for i in range(20):
        own = {"leakguard._model.snapshot.Snapshot": (i + 1, 100 * (i + 1))}
        d.write_snapshot(snapshot(i, own))
    done = leakguard_cmd("report", "snaps", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "shop.OrderDTO" in done.stdout
    assert "leakguard._model" not in done.stdout


def test_evidence_helpers_files_are_leakguards_not_the_programs() -> None:
    """Files of pympler and objgraph count as leakguard's own code; json's and ours do not."""
    import json as json_module

    import objgraph
    import pympler.asizeof

    from leakguard._heap.ownership import is_helper_file

    assert is_helper_file(pympler.asizeof.__file__)
    assert is_helper_file(objgraph.__file__)
    assert not is_helper_file(json_module.__file__ or "")
    assert not is_helper_file(__file__)


def test_run_snapshots_hold_none_of_leakguards_first_use_imports(tmp_path: Path) -> None:
    """Between a run's early and last snapshot, no type born of leakguard's own imports grows."""
    program = """
        import time
        class Order: pass
        keep = []
        for i in range(80):
            keep.extend(Order() for _ in range(200))
            time.sleep(0.05)
    """
    (tmp_path / "leak.py").write_text(textwrap.dedent(program))
    env = {"LEAKGUARD_BUDGET": "0.2"}
    args = ("run", "--interval", "0.1", "--snapshot-dir", "snaps", "leak.py")
    done = leakguard_cmd(*args, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert "__main__.Order" in done.stderr
    snaps = sorted((tmp_path / "snaps").glob("*.snapshot.json"))
    assert len(snaps) >= 4
    diff = leakguard_cmd("diff", str(snaps[1]), str(snaps[-1]), "--format", "json", cwd=tmp_path)
    grown = {c["name"] for c in json.loads(diff.stdout)["types"] if c["new"] > c["old"]}
    assert "__main__.Order" in grown
    born_of_ours = {n for n in grown if n.startswith(("_ctypes.", "ctypes.", "email.", "pympler."))}
    assert not born_of_ours
