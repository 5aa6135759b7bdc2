"""Setting up the inspection channel (7.2) with the real msgraph-sdk against the emulator."""

from __future__ import annotations

from dataclasses import replace

import pytest

from graph.emulator import EmulatedTeam, GraphEmulator
from graph.workspace import GraphWorkspace
from inspection.errors import ConfigurationError, NotFound, Unavailable
from inspection.frameworks import FrameworkRegistry
from inspection.workspace import FolderPurpose
from tests.graph.conftest import (
    DIRECTOR,
    INSPECTOR,
    LEAD,
    LINK_OFFICER,
    DirectoryFactory,
    setup_request,
)


async def test_private_channel_has_its_owner_members_and_one_folder_per_item(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    directory: GraphWorkspace,
    frameworks: FrameworkRegistry,
) -> None:
    result = await directory.setup_channel(setup_request(team, frameworks))

    channel = emulator.channel(result.channel_id)
    assert channel.membership_type == "private"
    assert channel.display_name == "Inspection - Fostering Service - Mar 2024"
    roles = {m.user.id: m.roles for m in channel.members}
    assert roles == {LEAD: ["owner"], INSPECTOR: [], LINK_OFFICER: [], DIRECTOR: []}
    # The lead inspector is the owner at creation; the others are added afterwards.
    assert set(result.members_added) == {INSPECTOR, LINK_OFFICER, DIRECTOR}
    assert result.channel_created

    on_disk = sorted(p.name for p in emulator.channel_folder(result.channel_id).iterdir())
    assert on_disk == [
        "01 Organisational structures",
        "02 Self-Evaluation Report",
        "03 Child-level data",
        "04 Quality improvement activity",
        "05 Case audits",
        "06 Meetings during the inspection",
        "07 Service user groups",
        "08 Staffing data",
        "Information requests",
        "Optional documents",
    ]
    assert result.folder_for(FolderPurpose.CHECKLIST_ITEM, "staffing_data") is not None
    requests = result.folder_for(FolderPurpose.INFORMATION_REQUESTS)
    assert requests is not None and requests.name == "Information requests"
    assert result.channel.drive_id == channel.drive.drive_id
    assert result.folder_id == channel.folder_id


async def test_running_setup_twice_finds_what_the_first_run_made(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    directory: GraphWorkspace,
    frameworks: FrameworkRegistry,
) -> None:
    first = await directory.setup_channel(setup_request(team, frameworks))
    posts_before = emulator.count("POST")

    second = await directory.setup_channel(setup_request(team, frameworks))

    assert second.channel_id == first.channel_id
    assert second.folder_id == first.folder_id
    assert [f.item_id for f in second.folders] == [f.item_id for f in first.folders]
    assert (second.channel_created, second.folders_created, second.members_added) == (
        False,
        (),
        (),
    )
    assert emulator.count("POST") == posts_before
    assert len(team.channels) == 1


async def test_a_setup_that_stopped_after_the_channel_is_completed_next_time(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    make_directory: DirectoryFactory,
    frameworks: FrameworkRegistry,
) -> None:
    directory = make_directory(max_retries=0)
    # Graph falls over after the channel and three folders exist.
    emulator.fail(503, method="POST", path=r"/children$", times=None)
    original = emulator._take_fault

    made = {"folders": 0}

    def allow_three(method: str, path: str):  # type: ignore[no-untyped-def]
        if method == "POST" and path.endswith("/children") and made["folders"] < 3:
            made["folders"] += 1
            return None
        return original(method, path)

    emulator._take_fault = allow_three  # type: ignore[method-assign]
    with pytest.raises(Unavailable, match=r"Microsoft Graph is unavailable; I.ll retry at 10:15"):
        await directory.setup_channel(setup_request(team, frameworks))
    channel_id = next(iter(team.channels))
    assert len(list(emulator.channel_folder(channel_id).iterdir())) == 3

    emulator._take_fault = original  # type: ignore[method-assign]
    emulator.clear_faults()
    result = await directory.setup_channel(
        setup_request(team, frameworks, existing_channel_id=channel_id)
    )

    assert result.channel_id == channel_id and not result.channel_created
    assert len(result.folders_created) == 7
    assert len(list(emulator.channel_folder(channel_id).iterdir())) == 10
    assert len(team.channels) == 1


async def test_a_new_private_channels_files_404_until_sharepoint_has_provisioned_them(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    directory: GraphWorkspace,
    frameworks: FrameworkRegistry,
) -> None:
    emulator.private_provisioning_404s = 3
    progress: list[str] = []

    async def tell(message: str) -> None:
        progress.append(message)

    result = await directory.setup_channel(setup_request(team, frameworks), tell)

    assert emulator.count("GET", r"/filesFolder$") == 4
    assert len(progress) == 3
    assert all("Setting up files" in message for message in progress)
    assert len(result.folders) == 10


async def test_files_that_never_appear_give_up_with_a_clear_message(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    make_directory: DirectoryFactory,
    frameworks: FrameworkRegistry,
) -> None:
    emulator.private_provisioning_404s = 1000
    directory = make_directory(files_folder_wait_seconds=60)

    with pytest.raises(Unavailable, match=r"(?i)still setting up its files.*run the setup again"):
        await directory.setup_channel(setup_request(team, frameworks))
    # Waited with backoff (5, 10, 20 s...), not hammering Graph.
    assert emulator.count("GET", r"/filesFolder$") == 4


async def test_standard_channel_uses_the_team_library_and_warns_about_outsiders(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    directory: GraphWorkspace,
    frameworks: FrameworkRegistry,
) -> None:
    emulator.auto_users = False
    outsider = emulator.add_user("Visiting Officer E")
    request = setup_request(team, frameworks, membership_type="standard")
    request = replace(request, members=(*request.members, _member(outsider.id)))

    result = await directory.setup_channel(request)

    channel = emulator.channel(result.channel_id)
    assert channel.membership_type == "standard"
    assert result.drive_id == team.drive.drive_id
    assert emulator.count("POST", r"/members$") == 0
    assert len(result.warnings) == 1
    assert "Visiting Officer E" not in result.warnings[0]  # no display name known: id shown
    assert outsider.id in result.warnings[0] and "add them to the team" in result.warnings[0]


async def test_a_person_graph_refuses_is_reported_and_the_rest_are_added(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    directory: GraphWorkspace,
    frameworks: FrameworkRegistry,
) -> None:
    emulator.auto_users = False
    stranger = "55555555-5555-4555-8555-555555555555"
    request = setup_request(team, frameworks)
    request = replace(request, members=(*request.members, _member(stranger)))

    result = await directory.setup_channel(request)

    assert set(result.members_added) == {INSPECTOR, LINK_OFFICER, DIRECTOR}
    assert len(result.warnings) == 1 and stranger in result.warnings[0]
    assert "run setup again" in result.warnings[0]


async def test_unknown_team_is_a_clear_error(
    directory: GraphWorkspace, team: EmulatedTeam, frameworks: FrameworkRegistry
) -> None:
    request = setup_request(team, frameworks, team_id="no-such-team")
    with pytest.raises(NotFound, match=r"there is no team 'no-such-team'.*GRAPH_TEAM_ID"):
        await directory.setup_channel(request)


async def test_missing_team_or_lead_is_refused_before_calling_graph(
    emulator: GraphEmulator,
    directory: GraphWorkspace,
    team: EmulatedTeam,
    frameworks: FrameworkRegistry,
) -> None:
    with pytest.raises(ConfigurationError, match="GRAPH_TEAM_ID"):
        await directory.setup_channel(setup_request(team, frameworks, team_id=""))
    with pytest.raises(ConfigurationError, match="lead inspector"):
        await directory.setup_channel(setup_request(team, frameworks, lead_inspector=""))
    assert emulator.requests == []


async def test_a_long_service_name_is_shortened_and_cleaned_for_teams(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    directory: GraphWorkspace,
    frameworks: FrameworkRegistry,
) -> None:
    request = setup_request(
        team, frameworks, service_name="Children's Services: Fostering & Adoption / Leaving Care"
    )
    result = await directory.setup_channel(request)
    assert len(result.display_name) <= 50
    assert result.display_name == "Inspection - Childrens Services - Mar 2024"


def _member(aad_object_id: str):  # type: ignore[no-untyped-def]
    from inspection.model import Member, Role

    return Member(aad_object_id, Role.OBSERVER)


async def test_the_configured_membership_applies_when_the_request_names_none(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    make_directory: DirectoryFactory,
    frameworks: FrameworkRegistry,
) -> None:
    directory = make_directory(membership_type="standard")
    result = await directory.setup_channel(setup_request(team, frameworks))
    assert result.membership_type == "standard"
    assert emulator.channel(result.channel_id).membership_type == "standard"


async def test_another_inspections_channel_of_the_same_name_is_never_adopted(
    emulator: GraphEmulator,
    team: EmulatedTeam,
    directory: GraphWorkspace,
    frameworks: FrameworkRegistry,
) -> None:
    # A second inspection of the same service in the same month must not share the first's
    # channel (and so its files): it gets a channel of its own, "... (2)".
    first = await directory.setup_channel(setup_request(team, frameworks))
    second = await directory.setup_channel(
        replace(setup_request(team, frameworks), taken_channel_ids=frozenset({first.channel_id}))
    )
    assert second.channel_id != first.channel_id
    assert second.display_name == "Inspection - Fostering Service - Mar 2024 (2)"
    assert second.channel_created
    # Re-running the second setup finds its own channel, not the first inspection's.
    again = await directory.setup_channel(
        replace(setup_request(team, frameworks), taken_channel_ids=frozenset({first.channel_id}))
    )
    assert again.channel_id == second.channel_id and not again.channel_created
