"""docs/architecture.md: the domain imports nothing from Teams, Graph, aiohttp or APScheduler."""

from __future__ import annotations

import ast
from pathlib import Path

import inspection

FORBIDDEN = {
    "botbuilder", "botframework", "msgraph", "kiota_abstractions", "kiota_http", "azure",
    "aiohttp", "apscheduler", "bot", "dialogs", "graph", "scheduler", "store", "cli", "app",
}  # fmt: skip


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_imports_no_adapter_library() -> None:
    package = Path(inspection.__file__).parent
    offenders = {
        str(path.relative_to(package)): sorted(_imported_roots(path) & FORBIDDEN)
        for path in package.rglob("*.py")
    }
    offenders = {name: bad for name, bad in offenders.items() if bad}
    assert offenders == {}, f"inspection/ must stay pure: {offenders}"


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from aiohttp import web\nimport botbuilder.core\n", encoding="utf-8")
    assert _imported_roots(sample) & FORBIDDEN == {"aiohttp", "botbuilder"}
