"""The first-party import graph, read from source with ``ast`` (nothing is imported or executed).

The architecture tests judge layering and cycles on what the code *says* it imports, so a
module that would only fail at import time (a cycle hidden inside a function body) is
caught too. Rules:

* every ``import``/``from ... import`` counts, at module level or inside a function;
* imports under ``if TYPE_CHECKING:`` do not (they never run), but its ``else:`` branch does;
* relative imports are resolved against the importing module's package;
* ``from a.b import c`` is an edge to ``a.b.c`` when that is itself a module, else to ``a.b``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: The shipped packages, lowest layer first.
PACKAGES = ("krx", "tr_catalog", "kiwoom", "fake_kiwoom", "kiwoom_lab")


@dataclass(frozen=True)
class Import:
    """One imported name as written at ``line`` of ``source`` (a module name), resolved to ``target``."""

    source: str
    target: str
    line: int

    @property
    def top(self) -> str:
        return self.target.split(".", 1)[0]

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target}"


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(packages: Iterable[str] = PACKAGES, root: Path = ROOT) -> dict[str, Path]:
    """Module name -> file, for every ``.py`` under the given top-level directories."""
    return {module_name(p, root): p for package in packages for p in sorted((root / package).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except those only reached under ``if TYPE_CHECKING:``."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _position(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


def _base_package(module: str, is_package: bool, level: int) -> str:
    parts = module.split(".")
    if not is_package:
        parts.pop()
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts)


def imports_in(source: str, module: str, is_package: bool, known: Iterable[str]) -> list[Import]:
    """The runtime imports of one module's source text; ``known`` are the module names that exist."""
    modules = set(known)
    found: list[Import] = []
    for node in sorted(_runtime_nodes(ast.parse(source)), key=_position):
        if isinstance(node, ast.Import):
            found.extend(Import(module, alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = _base_package(module, is_package, node.level)
                base = f"{package}.{base}" if base and package else (base or package)
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.append(Import(module, child if child in modules else base, node.lineno))
    return found


def all_imports(packages: Iterable[str] = PACKAGES, root: Path = ROOT) -> list[Import]:
    files = source_files(packages, root)
    found: list[Import] = []
    for name, path in files.items():
        found.extend(imports_in(path.read_text(encoding="utf-8"), name, path.name == "__init__.py", files))
    return found


def graph(imports: Iterable[Import], modules: Iterable[str]) -> dict[str, set[str]]:
    """Edges between the given modules only; a module importing itself is no ordering problem, so no edge."""
    nodes = set(modules)
    edges: dict[str, set[str]] = {name: set() for name in nodes}
    for imp in imports:
        if imp.source in nodes and imp.target in nodes and imp.source != imp.target:
            edges[imp.source].add(imp.target)
    return edges


def _strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm; each component comes back sorted, the components in a stable order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(components)


def _cycle_through(start: str, members: set[str], edges: dict[str, set[str]]) -> list[str]:
    """A shortest path ``start -> ... -> start`` inside one strongly connected component."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for nxt in sorted(edges[node] & members):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if nxt not in previous:
                    previous[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"{start} is in a component but on no cycle")


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One concrete cycle (as a path that returns to its start) per group of mutually importing modules."""
    return [
        _cycle_through(component[0], set(component), edges)
        for component in _strongly_connected(edges)
        if len(component) > 1
    ]
