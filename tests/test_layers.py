"""The package's shape: stage subpackages below the doors, and no stage imports one above it."""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "leakguard"

DOORS = {"__init__", "__main__", "_api", "_guard", "_config", "_watch", "_forking"}
# What each stage may import, besides itself. Doors may import every stage; the
# top (_cli, _integrations) may import everything.
MAY_IMPORT: dict[str, set[str]] = {
    "_model": set(),
    "_census": {"_model"},
    "_heap": {"_model", "_census"},
    "_detect": {"_model"},
    "_evidence": {"_model", "_census", "_heap", "_detect"},
    "_render": {"_model"},
    "_files": {"_model"},
    "_repeat": {"_model", "_census", "_heap", "_detect", "_evidence", "_render", "_files"},
}
TOP = {"_cli", "_integrations"}
# (importing module, imported unit): the reasons are in the importing module.
EXCEPTIONS = {
    # Report.to_text()/to_html() render themselves, importing the renderer inside the method.
    ("_model.report", "_render"),
    ("_model.audit", "_render"),
}


def _modules() -> dict[str, pathlib.Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        found[".".join(rel.parts)] = path
    return found


def _imports(path: pathlib.Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every import in the file, lazy ones inside functions too."""
    tree = ast.parse(path.read_text(), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = ("." * node.level) + (node.module or "")
            out.append((node.lineno, module, [alias.name for alias in node.names]))
    return out


def _unit(module: str) -> str:
    """The layer unit of a module path inside the package: its stage or its door."""
    return module.split(".", 1)[0]


def test_only_doors_at_the_top():
    """Every .py file directly under leakguard/ is one of the doors; the rest lives in stages."""
    top_files = {p.stem for p in PACKAGE.glob("*.py")}
    assert top_files - DOORS == set()
    stages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert stages == set(MAY_IMPORT) | TOP


def test_no_stage_imports_a_higher_one():
    """A lower stage never imports a higher stage, a door or the top (lazy imports included)."""
    wrong = []
    for name, path in _modules().items():
        unit = _unit(name)
        if unit not in MAY_IMPORT:
            continue
        for line, module, _names in _imports(path):
            if not module.startswith("leakguard."):
                continue
            target = _unit(module.removeprefix("leakguard."))
            if target == "_ccensus" and unit == "_census":
                continue
            if (
                target != unit
                and target not in MAY_IMPORT[unit]
                and (name, target) not in EXCEPTIONS
            ):
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports {module}")
    assert wrong == []


def test_doors_never_import_the_top():
    """Doors import stages and other doors; only __init__ and __main__ reach the top."""
    wrong = []
    for name, path in _modules().items():
        if name not in DOORS - {"__init__", "__main__"}:
            continue
        for line, module, _names in _imports(path):
            if _unit(module.removeprefix("leakguard.")) in TOP:
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports {module}")
    assert wrong == []


@pytest.mark.parametrize("name", sorted(_modules()))
def test_no_relative_imports(name):
    """Imports are absolute, so a module's file name tells where it sits."""
    assert [m for _line, m, _n in _imports(_modules()[name]) if m.startswith(".")] == []


def test_no_module_borrows_another_modules_private_name():
    """A name with a leading underscore is private to its module: no other module imports it."""
    wrong = []
    for _name, path in _modules().items():
        for line, module, names in _imports(path):
            if not module.startswith("leakguard."):
                continue
            private = [n for n in names if n.startswith("_") and n != "_ccensus"]
            wrong += [f"{path.relative_to(PACKAGE)}:{line} {module}.{n}" for n in private]
    assert wrong == []


SAFE_HOME = "_census.safe"
# The readers that see objects without running the program's code, and the raw tools
# they are made of: only leakguard/_census/safe.py may hold them.
SAFE_READERS = {
    "type_name", "type_qualname", "type_short_name", "type_dict", "type_mro", "type_flags",
    "type_dictoffset", "type_basicsize", "module_dict", "referents", "own_dict",
    "c_attribute", "code_qualname", "coroutine_code",
}  # fmt: skip
RAW_DESCRIPTOR_OWNERS = {"type", "ModuleType", "types.ModuleType"}


def _raw_reads(tree: ast.AST) -> list[tuple[int, str]]:
    """Where a module reads objects the way only the safe readers may."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "vars" and node.args:
                owner = ast.unparse(node.args[0])
                if owner in RAW_DESCRIPTOR_OWNERS:
                    found.append((node.lineno, f"vars({owner})"))
        elif isinstance(node, ast.Attribute):
            text = ast.unparse(node)
            if text in ("type.__dict__", "gc.get_referents", "inspect.getattr_static"):
                found.append((node.lineno, text))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name.lstrip("_") in SAFE_READERS:
                found.append((node.lineno, f"def {node.name}"))
    return found


def test_the_safe_readers_have_one_home():
    """No module but _census/safe.py redefines a safe reader or reads descriptors raw."""
    wrong = []
    for name, path in _modules().items():
        if name == SAFE_HOME:
            continue
        tree = ast.parse(path.read_text(), str(path))
        wrong += [f"{path.relative_to(PACKAGE)}:{line} {what}" for line, what in _raw_reads(tree)]
    assert wrong == []


def test_the_safe_reader_check_sees_a_copy():
    """The check above flags each way a copy used to be written (so it can fail)."""
    copies = """
_TYPE_DICT = vars(type)["__dict__"]
_MODULE_DICT = vars(types.ModuleType)["__dict__"]
name = type.__dict__["__qualname__"].__get__(tp, type)
refs = gc.get_referents(obj)
def own_dict(obj): ...
def _type_name(tp): ...
"""
    assert len(_raw_reads(ast.parse(copies))) == 6
    assert _raw_reads(ast.parse('n = vars(list)["__len__"]')) == []
