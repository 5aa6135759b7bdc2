"""The import rules import-linter cannot see: the top-level helper modules (settings.py,
logsetup.py, metrics.py, jsonbody.py) sit below every package but the domain, and import none
of them (the domain's errors they may use). The
packages' own layers are import-linter contracts in pyproject.toml (`./dev test` runs them)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = {"inspection", "bot", "dialogs", "graph", "scheduler", "store", "cli", "app"}
HELPERS = ["settings.py", "logsetup.py", "metrics.py", "jsonbody.py"]


def _imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("name", HELPERS)
def test_a_helper_module_imports_no_project_package(name: str) -> None:
    above_the_domain = PROJECT - {"inspection"}
    assert not (_imported(ROOT / name) & above_the_domain), f"{name} must stay below them"


def test_the_layers_contract_names_every_package() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    [layers] = [c["layers"] for c in contracts if c["type"] == "layers"]
    assert set(layers) == PROJECT == set(config["tool"]["importlinter"]["root_packages"])
