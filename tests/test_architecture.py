"""The layers' arrows point one way: a lower package never imports a higher one (ARCHITECTURE)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "edi_engine"
# Bottom to top. simulate drives the whole pipeline (replay), so it sits above outputs; tasks (the
# workers' jobs over ingest and detect) above them, for web and cli, the front doors, to enqueue.
LAYERS = ["x12", "parsers", "store", "ledger", "rules", "outputs", "simulate", "tasks", "web", "cli"]
IMPORT = re.compile(r"^\s*(?:from|import) edi_engine\.(\w+)", re.M)


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_imports_only_layers_below_it(layer: str) -> None:
    rank = LAYERS.index(layer)
    upward = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for target in IMPORT.findall(path.read_text(encoding="utf-8")):
            if target in LAYERS and LAYERS.index(target) > rank:
                upward.append(f"{path.relative_to(PACKAGE)} imports edi_engine.{target}")
    assert upward == []


def test_the_ledger_reads_the_store() -> None:
    """The ledger's facts come from edi_engine.store (store/read.py): the arrow ledger -> store is a real import."""
    targets = {t for path in (PACKAGE / "ledger").rglob("*.py") for t in IMPORT.findall(path.read_text("utf-8"))}
    assert "store" in targets


SQL_IMPORT = re.compile(r"^\s*from sqlalchemy(?:\.\w+)* import [^\n]*\b(?:select|insert|update|delete|text|func|"
                        r"Table|Column|MetaData)\b|^\s*import sqlalchemy\b|\bexec_driver_sql\b|"
                        r"\bedi_engine\.store\.tables\b|from edi_engine\.store import [^\n]*\btables\b", re.M)
SQL_TEXT = re.compile(r"\bSELECT\b[\s\S]{0,200}?\bFROM\b|\bINSERT\s+INTO\b|\bDELETE\s+FROM\b|\bUPDATE\s+\w+\s+SET\b")


def test_no_sql_outside_the_store() -> None:
    """SQL (query builders, table objects, raw statements) lives only in edi_engine/store/."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "store":
            continue
        source = path.read_text(encoding="utf-8")
        found += [f"{rel}: {m.group(0).strip()[:60]}" for m in SQL_IMPORT.finditer(source)]
        found += [f"{rel}: {m.group(0).strip()[:60]}" for m in SQL_TEXT.finditer(source)]
    assert found == []


def _runtime_nodes(tree: object) -> Iterator[object]:
    """Every node but those under `if TYPE_CHECKING:` (annotations only; never imported at run time)."""
    import ast

    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):  # type: ignore[arg-type]
            if isinstance(child, ast.If) and isinstance(child.test, ast.Name) and child.test.id == "TYPE_CHECKING":
                todo.extend(child.orelse)
                continue
            todo.append(child)


def _module_imports() -> dict[str, set[str]]:
    """edi_engine module -> the edi_engine modules it imports, at the top or inside a function."""
    import ast

    modules = {".".join(("edi_engine", *p.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__"): p
               for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in _runtime_nodes(ast.parse(path.read_text("utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from edi_engine.web import auth` imports the submodule auth, not the package's names.
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                           for a in node.names]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def test_no_import_circles_between_modules() -> None:
    """A circle (app imports routes, routes imports app) works only by import order or a hidden
    function-level import; one module of the two should own what both need. A package's __init__
    re-exporting its modules is not a circle of the modules themselves, so packages are left out."""
    graph = _module_imports()
    packages = {p for p in graph if (PACKAGE / Path(*p.split(".")[1:]) / "__init__.py").exists() or p == "edi_engine"}
    circles = []
    for start in sorted(graph):
        if start in packages:
            continue
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in sorted(graph[node] - packages):
                if nxt == start:
                    circles.append(" -> ".join([*path, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    assert circles == []
