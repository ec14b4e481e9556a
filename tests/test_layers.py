"""Dependencies between the apps run one way (drawn in docs/architecture.md), and no
module imports a project module inside a function to dodge a cycle."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = [
    "accounts",
    "audit",
    "factors",
    "measures",
    "flags",
    "clients",
    "selfreport",
    "calibration",
    "supervision",
    "alliance",
]
# Bottom to top: a module may import its own node and the nodes of lower layers only.
# The project package is split by module: its shared helpers sit at the bottom, the
# backup beside the flags, and the settings and URL wiring above everything. alliance.links
# (Django's URL resolver only) sits under factors, whose template library wraps it.
LAYERS = [
    {"alliance.links"},
    {"alliance", "factors", "alliance.env", "alliance.redirects", "alliance.csvsafe", "alliance.datamap"},
    {"accounts"},
    {"audit"},
    {"measures"},
    {"flags", "alliance.backup"},
    {"clients"},
    {"selfreport"},
    {"calibration"},
    {"supervision"},
    {"alliance.settings"},
    {"alliance.settings_test", "alliance.urls", "alliance.wsgi"},
]
LAYER_OF = {node: i for i, layer in enumerate(LAYERS) for node in layer}


def node_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] not in APPS:
        return None
    return ".".join(parts[:2]) if parts[0] == "alliance" else parts[0]


def modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            yield name, ast.parse(path.read_text())


def imported(node) -> str | None:
    if isinstance(node, ast.ImportFrom) and node.level == 0:
        return node.module
    if isinstance(node, ast.Import):
        return node.names[0].name
    return None


MODULES = list(modules())


@pytest.mark.parametrize(("name", "tree"), MODULES, ids=[name for name, _ in MODULES])
def test_imports_run_down_the_layers(name, tree):
    here = node_of(name)
    assert here in LAYER_OF, f"{here} has no layer in LAYERS"
    for node in ast.walk(tree):
        target = node_of(imported(node) or "")
        if target is None or target == here:
            continue
        assert target in LAYER_OF, f"{target} has no layer in LAYERS"
        assert LAYER_OF[target] < LAYER_OF[here], f"{name} imports {target}, which is not below {here}"


@pytest.mark.parametrize(("name", "tree"), MODULES, ids=[name for name, _ in MODULES])
def test_no_project_import_hides_inside_a_function(name, tree):
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) or function.name == "ready":
            continue  # AppConfig.ready is where Django wants signal receivers connected
        for node in ast.walk(function):
            module = imported(node)
            assert not (module and node_of(module)), f"{name}.{function.name} imports {module} inside a function"


def test_the_layers_name_every_app():
    nodes = {node_of(name) for name, _ in MODULES}
    assert nodes <= set(LAYER_OF)
    assert {"factors", "flags", "clients", "selfreport", "supervision"} <= nodes
