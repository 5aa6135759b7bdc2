"""Listing team and channel members (paged) with the real SDK."""

from __future__ import annotations

from graph.emulator import EmulatedTeam, GraphEmulator
from graph.workspace import GraphWorkspace
from inspection.frameworks import FrameworkRegistry
from inspection.model import Channel
from tests.graph.conftest import LEAD, setup_request


async def test_team_members_are_read_across_pages(
    emulator: GraphEmulator, team: EmulatedTeam, directory: GraphWorkspace
) -> None:
    for number in range(7):
        team.members.append(
            type(team.members[0])(f"m{number}", emulator.add_user(f"Member {number}"), [])
        )
    emulator.page_size = 3

    members = await directory.team_members(team.id)

    assert len(members) == 11
    assert emulator.count("GET", r"/members$") == 4
    lead = next(m for m in members if m.aad_object_id == LEAD)
    assert lead.is_owner and lead.display_name == "Lead Inspector A"
    assert lead.email == "lead.inspector.a@inspectorate.example"
    assert all(m.aad_object_id for m in members)


async def test_channel_members_of_a_private_channel(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    directory: GraphWorkspace,
    frameworks: FrameworkRegistry,
) -> None:
    setup = await directory.setup_channel(setup_request(team, frameworks))
    emulator.page_size = 2

    members = await directory.channel_members(setup.channel)

    assert {m.aad_object_id for m in members} == {m.user.id for m in team.members}
    assert [m.aad_object_id for m in members if m.is_owner] == [LEAD]


async def test_adding_members_later_skips_people_already_there(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    directory: GraphWorkspace,
    frameworks: FrameworkRegistry,
) -> None:
    from inspection.model import Member, Role

    setup = await directory.setup_channel(setup_request(team, frameworks, members=()))
    newcomer = emulator.add_user("Inspector F")
    team.members.append(type(team.members[0])("mf", newcomer, []))

    added = await directory.add_members(
        setup.channel, [Member(LEAD, Role.LEAD_INSPECTOR), Member(newcomer.id, Role.INSPECTOR)]
    )

    assert added == (newcomer.id,)
    standard = Channel(team.id, "19:x@thread.tacv2", membership_type="standard")
    assert await directory.add_members(standard, [Member(newcomer.id, Role.INSPECTOR)]) == ()
