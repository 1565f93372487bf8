"""The package's import graph, read from the code: no circle, so every module sits on a layer
above all it imports (the verifier at the bottom, the command line at the top). Imports inside
functions count: a lazy import is still a dependency. `LAYERS` names the layers the README's
"Development" section describes; a new module must take its place there.
"""

from __future__ import annotations

import ast
import functools
from graphlib import CycleError, TopologicalSorter

from conftest import ROOT

PACKAGE = ROOT / "summarize"

LAYERS = {  # from the ground up; a module imports only from its own layer and those below
    "the data": {"models", "errors", "words", "hashing", "version", "limits", "settings"},
    "the verifier": {"verify", "numbers", "anchors"},
    "the views": {"render", "html", "audit_output", "report"},
    "the inputs": {"sources", "fetch", "paths", "tls"},
    "the model interface": {
        *("llm", "client", "faults", "limiter", "cache", "recording", "wire", "batchapi"),
        "prompts",
    },
    "the stages": {
        *("extract", "windows", "compose", "conflicts", "budget", "repair"),
        *("audit", "audit_sources", "audit_items", "audit_text"),
    },
    "the faces": {
        *("api", "cli", "cli_check", "__main__", "testing"),
        *("batch", "batch_stories", "batch_run", "batch_table"),
    },
}


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


def module_name(path) -> str:
    """summarize/llm.py -> summarize.llm; summarize/testing/__init__.py -> summarize.testing."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def graph() -> dict[str, set[str]]:
    """Every module of the package and its subpackages; the package's own `__init__` (which
    re-exports the public names, lazily) is left out, as it sits above everything. Read once
    (parsing every module takes ~0.2 s); the tests only read it."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py") if p != PACKAGE / "__init__.py"}
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


def layer_of(module: str) -> int:
    """The layer's place from the bottom; a subpackage's modules sit on the subpackage's."""
    name = module.removeprefix("summarize.")
    for place, members in enumerate(LAYERS.values()):
        if name in members or name.split(".")[0] in members:
            return place
    raise AssertionError(f"{module} is on no layer: add it to LAYERS and to the README")


def test_every_module_imports_only_from_its_layer_and_below():
    names = list(LAYERS)
    upward = [
        f"{module} ({names[layer_of(module)]}) imports {dep} ({names[layer_of(dep)]})"
        for module, deps in graph().items()
        for dep in sorted(deps)
        if layer_of(dep) > layer_of(module)
    ]
    assert upward == []


def test_no_module_stands_on_two_layers():
    seen = [name for members in LAYERS.values() for name in members]
    assert len(seen) == len(set(seen))
