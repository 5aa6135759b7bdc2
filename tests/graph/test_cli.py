"""`inspection-bot setup-channel` and `sync-files` against the emulator (JSON output)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from cli.main import main
from graph.emulator import EmulatedTeam, GraphEmulator
from tests.graph.conftest import DIRECTOR, INSPECTOR, LEAD, LINK_OFFICER


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, emulator: GraphEmulator) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("GRAPH_BASE_URL", emulator.base_url)
    monkeypatch.chdir(tmp_path)  # no stray .env


def cli(*argv: str) -> int:
    return main(list(argv))


SETUP = (
    "setup-channel",
    "--service",
    "Fostering Service",
    "--onsite-start",
    "2024-03-04",
    "--onsite-end",
    "2024-03-08",
    "--lead",
    LEAD,
    "--link-officer",
    LINK_OFFICER,
    "--director",
    DIRECTOR,
    "--member",
    INSPECTOR,
)


async def test_setup_channel_then_sync_files(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The CLI runs its own event loop, so it runs in a thread while the emulator serves here.
    code = await asyncio.to_thread(cli, *SETUP, "--team", team.id, "--json")
    out, err = capsys.readouterr()
    assert code == 0, err
    created = json.loads(out)
    assert set(created) >= {"channel_id", "drive_id", "folder_id", "folders", "inspection_id"}
    assert [f["name"] for f in created["folders"]][-2:] == [
        "Information requests",
        "Optional documents",
    ]
    assert created["channel_created"] is True

    again = await asyncio.to_thread(cli, *SETUP, "--team", team.id, "--json")
    repeat = json.loads(capsys.readouterr().out)
    assert again == 0
    assert (repeat["channel_id"], repeat["inspection_id"]) == (
        created["channel_id"],
        created["inspection_id"],
    )
    assert repeat["channel_created"] is False and repeat["folders_created"] == []
    assert len(team.channels) == 1

    folder = emulator.channel_folder(created["channel_id"])
    (folder / "08 Staffing data" / "Staffing return.xlsx").write_bytes(b"x")
    inspection = str(created["inspection_id"])
    assert await asyncio.to_thread(cli, "sync-files", "--inspection", inspection, "--json") == 0
    synced = json.loads(capsys.readouterr().out)
    assert synced["full_sync"] is True
    assert [(c["kind"], c["path"]) for c in synced["changes"]] == [
        ("added", "08 Staffing data/Staffing return.xlsx")
    ]

    (folder / "08 Staffing data" / "Staffing return.xlsx").unlink()
    assert await asyncio.to_thread(cli, "sync-files", "--inspection", inspection) == 0
    assert capsys.readouterr().out.split() == [
        "deleted",
        "08",
        "Staffing",
        "data/Staffing",
        "return.xlsx",
    ]


async def test_bad_input_is_one_clear_line(
    emulator: GraphEmulator, team: EmulatedTeam, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await asyncio.to_thread(cli, *SETUP)
    assert code == 2
    assert "give the team with --team" in capsys.readouterr().err

    swapped = list(SETUP)
    swapped[swapped.index("2024-03-08")] = "2024-03-01"
    assert await asyncio.to_thread(cli, *swapped, "--team", team.id) == 2
    assert "is before --onsite-start" in capsys.readouterr().err

    assert await asyncio.to_thread(cli, "sync-files", "--inspection", "99") == 2
    assert "there is no inspection 99" in capsys.readouterr().err

    assert await asyncio.to_thread(cli, *SETUP, "--team", "no-such-team") == 2
    assert "there is no team 'no-such-team'" in capsys.readouterr().err
    assert emulator.count("POST") == 0
