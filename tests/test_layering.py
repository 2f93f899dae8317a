"""The package graph is one-way: no import cycle between tinyedge's top-level modules and
packages (lazy imports inside functions included), every import points down the
layering the README's architecture section describes, and the three users of the int8
contract (export, evaluate, device) never import one another."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "tinyedge"

# Lowest first; a unit may import units of its own layer (without a cycle) or below.
LAYERS = [
    {"errors", "__version__"},
    {"fileio", "progress", "protocol", "layout", "resources", "tool_args", "qemu", "models",
     "analysis", "clocktree"},
    {"data", "boards", "records"},
    {"train", "firmware", "report", "floatmodel"},
    {"int8"},
    {"evaluate", "export", "device"},
    {"sweep"},
    {"cli_args"},
    {"cli", "__main__"},
]

# What they share lives in ``int8`` (or below): none of them imports another.
INT8_USERS = {"evaluate", "export", "device"}


def unit_of(path: Path) -> str:
    return path.relative_to(ROOT).parts[0].removesuffix(".py")


def import_graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        src = unit_of(path)
        for node in ast.walk(ast.parse(path.read_text())):  # every import, lazy ones too
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and \
                    node.module.split(".")[0] == "tinyedge":
                parts = node.module.split(".")
                targets = [a.name for a in node.names] if len(parts) == 1 else [parts[1]]
            elif isinstance(node, ast.Import):
                targets = [a.name.split(".")[1] for a in node.names
                           if a.name.startswith("tinyedge.")]
            for target in targets:
                if target != src:
                    edges.setdefault(src, set()).add(target)
    return edges


def test_no_import_cycles() -> None:
    edges = import_graph()
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt):], nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])


def test_every_import_points_down_the_layers() -> None:
    level = {unit: i for i, layer in enumerate(LAYERS) for unit in layer}
    units = {unit_of(p) for p in ROOT.rglob("*.py")} - {"__init__"}
    assert units <= set(level), f"place new units in LAYERS: {sorted(units - set(level))}"
    upward = [f"{a} -> {b}" for a, targets in import_graph().items() for b in targets
              if level.get(b, -1) > level[a]]
    assert not upward, f"imports that point up the layering: {upward}"


def test_export_evaluate_and_device_do_not_import_each_other() -> None:
    edges = import_graph()
    crossing = [f"{a} -> {b}" for a in sorted(INT8_USERS)
                for b in sorted(edges.get(a, set()) & (INT8_USERS - {a}))]
    assert not crossing, (f"imports between the int8 contract's users: {crossing}; move "
                          "what they share into tinyedge.int8 or a layer below")
