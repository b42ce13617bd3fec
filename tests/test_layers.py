"""Issue 13 (shape): the library's modules import each other without circles, so the layers
read in one direction: reading (data, calendar) -> counting (kpis, columnar) -> sources and
caches (monthly, kpi_store) -> pricing (fees) -> views and reports. Every import counts, the
ones inside functions too (a lazy import is still a dependency)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "sla_lib"


def _module_name(path: Path) -> str:
    """'kpis', 'reading.cells', 'reading' (a package's __init__)."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts)


def _imports() -> dict[str, set[str]]:
    """Module -> the modules of the package it imports (relative imports, any depth)."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        deps = graph.setdefault(name, set())
        package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level >= 1:
                base = package[: len(package) - (node.level - 1)]
                if node.module:
                    deps.add(".".join(base + node.module.split(".")))
                else:
                    deps.update(".".join(base + [a.name]) for a in node.names)
    for deps in graph.values():
        deps.intersection_update(graph)
        deps.discard("__init__")
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state and (found := visit(m)):
                return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (found := visit(n)):
            return found
    return None


def test_no_module_imports_itself_round_a_circle():
    graph = _imports()
    assert {"kpis", "columnar", "monthly", "kpi_store", "report", "views"} <= set(graph)
    cycle = _cycle({k: v for k, v in graph.items() if k != "__init__"})
    assert cycle is None, " -> ".join(cycle)


def test_the_counting_layers_point_one_way():
    graph = _imports()
    reading = {"data", "calendar", "reading", "reading.specs", "reading.sheets", "reading.cells", "reading.checks",
               "reading.parquet"}
    counting, sources = {"kpis", "columnar"}, {"monthly", "kpi_store"}
    for module in reading:
        assert not graph[module] & (counting | sources | {"fees", "views", "report"}), module
    for module in counting:
        assert not graph[module] & (sources | {"fees", "views", "report"}), module
    assert "columnar" in graph["monthly"] and "kpis" in graph["columnar"]  # the engine beside the frame counts
    assert not any(m.startswith("data") for part in reading - {"data"} for m in graph[part])  # data puts them together
    assert "report" not in graph["views"] and "report" not in graph["archive"]
    assert not graph["rendering"] & (counting | sources | {"fees", "views", "report"})  # pages only: it counts nothing
