"""Known vulnerabilities in the installed dependencies (issue 7), for `./dev test` and CI.

Runs pip-audit over the virtual environment (the resolved dependency set) and:
- fails, naming each package, version and advisory, when a known vulnerability is found;
- passes, saying so plainly, when the advisory service could not be reached or does not know
  some of the installed versions (a network without PyPI's advisory data): nothing is claimed
  about what could not be checked. `./dev audit` is the strict version.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def main() -> int:
    audit = Path(sys.executable).with_name("pip-audit")
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "audit.json"
        run = subprocess.run(  # noqa: S603 - our own venv's pip-audit, fixed arguments
            [str(audit), "--progress-spinner", "off", "--skip-editable", "-f", "json",
             "-o", str(report)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )  # fmt: skip
        if not report.exists():
            reason = (run.stderr.strip().splitlines() or ["no output"])[-1]
            print(f"dependency audit NOT DONE: the advisory service was unreachable ({reason})")
            return 0
        dependencies = json.loads(report.read_text())["dependencies"]
    lines, status = summary(dependencies)
    print("\n".join(lines))
    return status


def summary(dependencies: list[dict[str, Any]]) -> tuple[list[str], int]:
    """pip-audit's JSON `dependencies` -> (what to print, exit status: 1 when vulnerable)."""
    found = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if "skip_reason" in d]
    lines = []
    for dependency in found:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            lines.append(
                f"VULNERABLE: {dependency['name']} {dependency['version']}: {vuln['id']} "
                f"(fixed in {fixed})"
            )
    checked = len(dependencies) - len(skipped)
    lines.append(
        f"dependency audit: {checked} of {len(dependencies)} packages checked, "
        f"{len(found)} with known vulnerabilities"
    )
    if skipped:
        lines.append(
            f"  {len(skipped)} could not be checked here (the advisory service does not know "
            "these versions or could not be reached); run `./dev audit` where it can"
        )
    return lines, 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
