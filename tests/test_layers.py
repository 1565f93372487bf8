"""The package's import graph, read from the code: no circle, so every module sits on a layer
above all it imports (the verifier at the bottom, the command line at the top). Imports inside
functions count: a lazy import is still a dependency."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter

from conftest import ROOT

PACKAGE = ROOT / "summarize"


def imports_of(path) -> set[str]:
    """The summarize modules a file imports, anywhere in it (TYPE_CHECKING blocks excepted:
    they never run)."""
    tree = ast.parse(path.read_text("utf-8"))
    skipped = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and getattr(block.test, "id", "") == "TYPE_CHECKING"
        for node in ast.walk(block)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("summarize"):
            if node.module == "summarize":
                found |= {f"summarize.{a.name}" for a in node.names}
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("summarize.")}
    return found


def graph() -> dict[str, set[str]]:
    modules = {f"summarize.{p.stem}": p for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    return {name: imports_of(path) & modules.keys() - {name} for name, path in modules.items()}


def test_the_import_graph_has_no_circle():
    try:
        order = list(TopologicalSorter(graph()).static_order())
    except CycleError as exc:
        raise AssertionError(f"import circle: {' -> '.join(exc.args[1])}") from None
    assert order.index("summarize.models") < order.index("summarize.render")
    assert order.index("summarize.verify") < order.index("summarize.compose")


def test_the_data_and_the_verifier_import_no_stage_above_them():
    g = graph()
    assert g["summarize.models"] == set()
    for pure in ("summarize.verify", "summarize.numbers", "summarize.anchors", "summarize.words"):
        assert g[pure] <= {
            "summarize.models",
            "summarize.words",
            "summarize.numbers",
            "summarize.verify",
        }, pure
