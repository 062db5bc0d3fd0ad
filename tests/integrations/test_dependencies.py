"""The engine's modules depend on each other in one direction (DESIGN.md): the domain calls the
outbox, the outbox records, the engine runs. No import cycle, not even a lazy one."""

import ast
from pathlib import Path

import integrations

PACKAGE = Path(integrations.__file__).parent
# module -> the sibling modules it must never import (at the top or inside a function)
FORBIDDEN = {
    "outbox": {"engine", "connections", "tasks"},
    "connections": {"engine", "tasks"},
}


def sibling_imports(name: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{name}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1 and module:
                found.add(module.split(".")[0])
            elif node.level == 1:
                found.update(alias.name for alias in node.names)
            elif module.startswith("integrations."):
                found.add(module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(
                alias.name.split(".")[1] for alias in node.names
                if alias.name.startswith("integrations.")
            )  # fmt: skip
    return found


def test_the_outbox_and_the_connection_services_never_import_the_engine():
    offending = {
        f"{module} imports {other}"
        for module, forbidden in FORBIDDEN.items()
        for other in sibling_imports(module) & forbidden
    }
    assert offending == set()
