"""The layers as a checked contract: no module imports a floor above its own, siblings on one floor stay
independent, and no two modules import each other (directly or round a loop), counting imports inside
functions and under TYPE_CHECKING too: an arrow is an arrow wherever it is written.

The floors, top to bottom, are those of docs/architecture.md. A new top-level module or package must be
given a floor here before it can land."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PKG = SRC / "hirachat"

# top to bottom; names on one floor are siblings that must not import each other
FLOORS: list[tuple[str, ...]] = [
    ("cli",),
    ("jupyter",),
    ("quickstart",),
    ("web",),
    ("ops", "runtime"),
    ("train",),
    ("eval",),
    ("answer", "dataset"),
    ("model",),
    ("query",),
    ("korean",),
    ("data",),
    ("grounding", "prompt", "vocab"),
    ("paths",),
    ("config",),
    ("atomic", "numbers", "errors"),
]
FLOOR = {name: i for i, names in enumerate(FLOORS) for name in names}


def _modules() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        parts = list(p.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _graph() -> dict[str, set[str]]:
    """module → the hirachat modules it imports (anywhere in the file)."""
    mods = _modules()
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the module's own package upwards
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for t in targets:
                if t.startswith("hirachat") and t != name:
                    while t not in mods and "." in t:
                        t = t.rpartition(".")[0]
                    if t != "hirachat" and t != name:
                        edges[name].add(t)
    return edges


def _part(module: str) -> str:
    return module.split(".")[1]


def test_every_top_level_part_has_a_floor() -> None:
    parts = {_part(m) for m in _modules() if m != "hirachat"}
    assert parts - set(FLOOR) == set(), "give the new module a floor in FLOORS (and docs/architecture.md)"
    assert set(FLOOR) - parts == set(), "a floor names a module that no longer exists"


def test_no_module_imports_a_floor_above_or_a_sibling() -> None:
    wrong = [
        f"{a} → {b}"
        for a, targets in _graph().items()
        for b in targets
        if _part(a) != _part(b) and FLOOR[_part(b)] <= FLOOR[_part(a)]
    ]
    assert wrong == []


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    nodes = sorted({*edges, *(b for bs in edges.values() for b in bs)})
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(edges.get(nxt, ())))))
                elif nxt in on:
                    low[v] = min(low[v], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_no_import_cycle_between_modules_or_packages() -> None:
    edges = _graph()
    assert _cycles(edges) == []
    packages: dict[str, set[str]] = defaultdict(set)
    for a, targets in edges.items():
        packages[_part(a)] |= {_part(b) for b in targets if _part(b) != _part(a)}
    assert _cycles(packages) == []


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": set()}, []),
    ],
)
def test_the_cycle_finder_finds_loops(edges: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert _cycles(edges) == expected


def test_the_graph_sees_imports_inside_functions() -> None:
    """cli imports its stages inside commands (fast start-up): those arrows are in the graph."""
    edges = _graph()
    assert any(_part(b) == "dataset" for b in edges["hirachat.cli.data"])
    assert "hirachat.korean" in edges["hirachat.query.wording"]  # 'from hirachat import korean as K'
