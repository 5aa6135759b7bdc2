""".ci/audit.py: CI's dependency audit fails on a known vulnerability and never claims to
have checked what it could not (issue 7)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "audit.py"


def _audit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ci_audit", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_known_vulnerability_fails_the_run_and_is_named() -> None:
    lines, status = _audit().summary(
        [
            {"name": "aiohttp", "version": "3.9.0", "vulns": [
                {"id": "GHSA-xxxx-0001", "fix_versions": ["3.9.2"]},
            ]},
            {"name": "pyyaml", "version": "6.0.2", "vulns": []},
        ]
    )  # fmt: skip
    assert status == 1
    assert lines[0] == "VULNERABLE: aiohttp 3.9.0: GHSA-xxxx-0001 (fixed in 3.9.2)"
    assert "2 of 2 packages checked, 1 with known vulnerabilities" in lines[-1]


def test_packages_it_could_not_check_are_said_not_passed_off_as_clean() -> None:
    lines, status = _audit().summary(
        [
            {"name": "pyyaml", "version": "6.0.2", "vulns": []},
            {"name": "sqlalchemy", "version": "2.1.9", "skip_reason": "not found on PyPI"},
        ]
    )
    assert status == 0
    assert "1 of 2 packages checked" in lines[0]
    assert "1 could not be checked here" in lines[1] and "./dev audit" in lines[1]
