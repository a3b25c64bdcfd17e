"""The layering the README promises, checked on the source: who may import whom, and no cycles.

``krx`` is reference data below everything, ``tr_catalog`` (Kiwoom's TRs as data) beside it;
``kiwoom`` is the client and server; the fake Kiwoom must stay independent of the client
it tests (or it could not catch the client's mistakes); ``kiwoom_lab`` drives both and
nothing drives it. A cycle makes import order
matter, which is how a module ends up half-initialised in production but not in a test.
"""

from __future__ import annotations

import ast

import pytest

from tests.support.imports import (
    Import,
    all_imports,
    cycles,
    graph,
    imports_in,
    module_name,
    source_files,
)

KNOWN = {"pkg", "pkg.sub", "pkg.sub.leaf", "pkg.other"}


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    found = all_imports()
    assert {i.source.split(".", 1)[0] for i in found} == {"krx", "tr_catalog", "kiwoom", "fake_kiwoom", "kiwoom_lab"}
    return found


def crossings(imports: list[Import], package: str, forbidden: set[str]) -> list[str]:
    return [str(i) for i in imports if i.source.split(".", 1)[0] == package and i.top in forbidden]


def test_fake_kiwoom_imports_nothing_from_the_client_or_the_lab(imports: list[Import]) -> None:
    assert crossings(imports, "fake_kiwoom", {"kiwoom", "kiwoom_lab"}) == []


def test_the_client_imports_nothing_from_the_lab(imports: list[Import]) -> None:
    assert crossings(imports, "kiwoom", {"kiwoom_lab"}) == []


def test_krx_imports_none_of_the_packages_above_it(imports: list[Import]) -> None:
    assert crossings(imports, "krx", {"tr_catalog", "kiwoom", "fake_kiwoom", "kiwoom_lab"}) == []


def test_the_tr_catalog_imports_none_of_the_packages_that_use_it(imports: list[Import]) -> None:
    """The fake and the client both read the catalog, so it may depend on neither."""
    assert crossings(imports, "tr_catalog", {"kiwoom", "fake_kiwoom", "kiwoom_lab"}) == []


def test_no_import_cycle_among_modules(imports: list[Import]) -> None:
    found = cycles(graph(imports, source_files()))
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in found)


def test_only_the_degrading_store_catches_redis_unavailable() -> None:
    """One place decides what an unreachable Redis means (fall back to memory); others let it rise there."""
    catchers = sorted(
        name
        for name, path in source_files(["kiwoom"]).items()
        if catches_redis_unavailable(ast.parse(path.read_text(encoding="utf-8")))
    )
    assert catchers == ["kiwoom.state.degrading"]


def catches_redis_unavailable(tree: ast.AST) -> bool:
    """An ``except`` clause naming ``RedisUnavailableError``, or ``contextlib.suppress(RedisUnavailableError)``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.type is not None and names_it(node.type):
            return True
        if isinstance(node, ast.Call) and called_name(node.func) == "suppress" and any(map(names_it, node.args)):
            return True
    return False


def names_it(expr: ast.expr) -> bool:
    if isinstance(expr, ast.Tuple):
        return any(map(names_it, expr.elts))
    return called_name(expr) == "RedisUnavailableError"


def called_name(expr: ast.expr) -> str | None:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return None


# The scanner itself: if it missed imports, every rule above would pass vacuously.


def targets(source: str, module: str = "pkg.sub.mod", *, is_package: bool = False) -> list[str]:
    return [i.target for i in imports_in(source, module, is_package, KNOWN | {module})]


def test_scanner_sees_imports_inside_functions() -> None:
    assert targets("def f():\n    import pkg.other\n") == ["pkg.other"]


def test_scanner_ignores_type_checking_imports_but_not_their_else_branch() -> None:
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.other\nelse:\n    import pkg.sub\n"
    assert targets(source) == ["typing", "pkg.sub"]


def test_scanner_resolves_relative_imports_from_a_module_and_from_a_package() -> None:
    assert targets("from . import leaf\nfrom ..other import x\n") == ["pkg.sub.leaf", "pkg.other"]
    assert targets("from . import leaf\n", "pkg.sub", is_package=True) == ["pkg.sub.leaf"]


def test_scanner_points_from_imports_at_the_submodule_when_there_is_one() -> None:
    assert targets("from pkg.sub import leaf, helper\n") == ["pkg.sub.leaf", "pkg.sub"]


def test_cycle_report_gives_the_path_back_to_the_start() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c", "a"]]


def test_a_package_init_is_named_after_its_package() -> None:
    assert module_name(source_files(["kiwoom"])["kiwoom"]) == "kiwoom"
