"""The dependency rule (DESIGN.md): pos reaches integrations only through its public API
(integrations.outbox, and integrations.schedules for schedule providers), never a connector."""

import ast
from pathlib import Path

import pos

ALLOWED = {"integrations.outbox", "integrations.schedules"}


def integrations_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] == "integrations"}


def test_pos_imports_only_the_public_integrations_modules():
    package = Path(pos.__file__).parent
    offending = {
        f"{path.relative_to(package)}: {module}"
        for path in package.rglob("*.py")
        if "migrations" not in path.parts
        for module in integrations_imports(path) - ALLOWED
    }
    assert offending == set()
