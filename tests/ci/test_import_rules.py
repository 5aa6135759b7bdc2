"""The import rules import-linter cannot see: the top-level helper modules (settings.py,
logsetup.py, metrics.py, jsonbody.py) sit below every package but the domain, and import none
of them (the domain's errors they may use). The
packages' own layers are import-linter contracts in pyproject.toml (`./dev test` runs them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.inspection.test_dependency_rule import _imported_roots

ROOT = Path(__file__).resolve().parents[2]
PROJECT = {"inspection", "bot", "dialogs", "graph", "scheduler", "store", "cli", "app"}
HELPERS = ["settings.py", "logsetup.py", "metrics.py", "jsonbody.py"]


@pytest.mark.parametrize("name", HELPERS)
def test_a_helper_module_imports_no_project_package(name: str) -> None:
    above_the_domain = PROJECT - {"inspection"}
    assert not (_imported_roots(ROOT / name) & above_the_domain), f"{name} must stay below them"


def test_the_layers_contract_names_every_package() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    [layers] = [c["layers"] for c in contracts if c["type"] == "layers"]
    assert set(layers) == PROJECT == set(config["tool"]["importlinter"]["root_packages"])
