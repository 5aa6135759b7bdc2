"""The README's run command on a fresh clone: `./dev run --demo`'s set-up path, in a temporary
folder, with and without Node.js. The set-up is the same as a real run's; `--setup-only` stops
before serving, so the test needs no ports and no waiting."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cli.demo import DEMO_DRIVE_ID, DEMO_PEOPLE
from cli.playground import PACKAGE, VERSION

REPO = Path(__file__).resolve().parents[2]
TOOLS = ("bash", "sh", "env", "cat", "cut", "dirname", "sha256sum", "git")


def _fresh_clone(target: Path) -> Path:
    """The repository's files as a new clone has them (tracked and new, never ignored ones):
    no .venv, no data/, no local/."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in listed:
        if not raw:
            continue
        source = REPO / raw.decode()
        if not source.is_file():
            continue  # deleted in the working tree
        copy = target / raw.decode()
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, copy)
    assert not (target / "data").exists() and not (target / "local").exists()
    return target


def _reuse_this_venv(clone: Path) -> None:
    """`./dev` would make .venv and pip install; reuse this one so the test stays offline.
    The wrapper runs Python in the clone's folder, so the clone's code is what runs."""
    venv = clone / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "python").symlink_to(sys.executable)
    wrapper = venv / "inspection-bot"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'exec "{sys.executable}" -c '
        '"import sys; from cli.main import main; sys.exit(main())" "$@"\n'
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    digest = hashlib.sha256((clone / "pyproject.toml").read_bytes()).hexdigest()
    (clone / ".venv" / ".installed").write_text(digest + "\n")


def _path_without_node(folder: Path) -> str:
    folder.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        if found:
            (folder / tool).symlink_to(found)
    return str(folder)


def _run(clone: Path, path: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "VIRTUAL_ENV")}
    env["PATH"] = path
    return subprocess.run(
        ["./dev", "run", *args],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    found = _fresh_clone(tmp_path / "clone")
    _reuse_this_venv(found)
    return found


def _check_common(clone: Path, out: str) -> None:
    # The bot's side: SQLite database, demo seeded, its files in a visible folder.
    assert (clone / "data" / "inspection-bot.db").is_file()
    assert "Seeded the demo inspection" in out
    files = clone / "data" / "graph-files" / DEMO_DRIVE_ID
    assert any(files.rglob("*.docx")) and any(files.rglob("Data Nov.xlsx"))
    # The emulator's folder: package.json pinning the version, and the mock tenant.
    playground = clone / "local" / "playground"
    assert f'"{PACKAGE}": "{VERSION}"' in (playground / "package.json").read_text()
    tenant = yaml.safe_load((playground / ".m365agentsplayground.yml").read_text())
    assert len(tenant["users"]) == 5
    assert tenant["currentUser"]["aadObjectId"] == DEMO_PEOPLE[0].aad_object_id
    assert "Set-up done (--setup-only)" in out


def test_without_node_it_says_so_and_the_bot_still_runs(clone: Path, tmp_path: Path) -> None:
    done = _run(clone, _path_without_node(tmp_path / "bin"), "--demo", "--setup-only")
    assert done.returncode == 0, done.stderr
    assert "Node.js and npm were not found" in done.stdout
    assert "the bot runs alone" in done.stdout
    assert not (clone / "local" / "playground" / "node_modules").exists()
    _check_common(clone, done.stdout)


@pytest.mark.slow
def test_with_npm_it_installs_the_pinned_emulator(clone: Path) -> None:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed here; the no-Node.js path is tested above")
    done = _run(clone, os.environ["PATH"], "--demo", "--setup-only")
    assert done.returncode == 0, done.stderr
    _check_common(clone, done.stdout)
    if "could not install" in done.stdout:
        # npm is there but its registry cannot be reached: the step is skipped, and said so.
        assert "The Teams emulator is skipped and the bot runs alone" in done.stdout
        pytest.skip("the npm registry cannot be reached from here: " + done.stdout[-300:])
    assert f"installed {PACKAGE}@{VERSION}" in done.stdout
    installed = clone / "local" / "playground" / "node_modules" / "@microsoft"
    assert (installed / "m365agentsplayground" / "package.json").read_text().count(VERSION)
    # A second run finds it installed and does not touch npm again.
    again = _run(clone, os.environ["PATH"], "--setup-only")
    assert again.returncode == 0, again.stderr
    assert "already installed" in again.stdout
    assert "Seeded" not in again.stdout


def test_a_bad_emulator_port_is_refused(clone: Path, tmp_path: Path) -> None:
    done = _run(clone, _path_without_node(tmp_path / "bin"), "--teams-emulator-port", "70000")
    assert done.returncode == 2
    assert "--teams-emulator-port 70000 is not a port" in done.stderr


def test_an_unknown_emulator_user_is_refused(clone: Path, tmp_path: Path) -> None:
    done = _run(clone, _path_without_node(tmp_path / "bin"), "--teams-user", "boss")
    assert done.returncode == 2
    assert "--teams-user: there is no demo person 'boss'; choose one of: lead," in done.stderr
