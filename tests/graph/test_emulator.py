"""The emulator itself: Graph's error shapes, auth, and the standalone command."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from aiohttp import ClientSession

from graph.emulator import EmulatedTeam, GraphEmulator

AUTH = {"Authorization": "Bearer test"}
REPO = Path(__file__).resolve().parents[2]


async def test_requests_without_a_token_get_graphs_401(
    emulator: GraphEmulator, team: EmulatedTeam
) -> None:
    async with (
        ClientSession() as session,
        session.get(f"{emulator.base_url}/teams/{team.id}/members") as response,
    ):
        assert response.status == 401
        body = await response.json()
    assert body["error"]["code"] == "InvalidAuthenticationToken"
    assert "request-id" in body["error"]["innerError"]


async def test_members_have_the_odata_type_and_user_ids(
    emulator: GraphEmulator, team: EmulatedTeam
) -> None:
    async with (
        ClientSession(headers=AUTH) as session,
        session.get(f"{emulator.base_url}/teams/{team.id}/members") as response,
    ):
        body = await response.json()
    assert {m["@odata.type"] for m in body["value"]} == {
        "#microsoft.graph.aadUserConversationMember"
    }
    assert all(m["userId"] for m in body["value"])


async def test_a_member_without_odata_type_is_a_400(
    emulator: GraphEmulator, team: EmulatedTeam
) -> None:
    url = f"{emulator.base_url}/teams/{team.id}/channels"
    body = {
        "displayName": "Inspection - X",
        "membershipType": "private",
        "members": [{"user@odata.bind": "https://graph.microsoft.com/v1.0/users('a')"}],
    }
    async with ClientSession(headers=AUTH) as session, session.post(url, json=body) as response:
        assert response.status == 400
        assert "@odata.type" in (await response.json())["error"]["message"]


async def test_deleted_items_carry_the_deleted_facet_and_no_name(
    emulator: GraphEmulator, team: EmulatedTeam
) -> None:
    drive = team.drive
    item = drive.write_file("root", "Old.docx", b"x")
    async with ClientSession(headers=AUTH) as session:
        url = f"{emulator.base_url}/drives/{drive.drive_id}/root/delta"
        async with session.get(url) as response:
            link = (await response.json())["@odata.deltaLink"]
        drive.delete(item.id)
        async with session.get(link) as response:
            changes = (await response.json())["value"]
    assert changes == [
        {
            "id": item.id,
            "parentReference": {
                "driveId": drive.drive_id,
                "driveType": "documentLibrary",
                "id": drive.root_id,
            },
            "deleted": {"state": "deleted"},
            "file": {},
        }
    ]


async def test_standalone_command_prints_its_url(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "graph.emulator",
        "--folder",
        str(tmp_path / "files"),
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,
    )
    try:
        assert process.stdout is not None
        first = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        assert first.startswith("Graph emulator: http://127.0.0.1:")
        url = first.split()[-1]
        async with (
            ClientSession(headers=AUTH) as session,
            session.get(url.removesuffix("/v1.0") + "/_emulator/state") as response,
        ):
            state = await response.json()
        assert state["base_url"] == url
        assert len(state["users"]) == 4
    finally:
        process.terminate()
        await process.wait()
