"""`inspection-bot setup-channel` and `inspection-bot sync-files`: the Microsoft Graph side,
for operators and scripts. Both talk to GRAPH_BASE_URL (Microsoft Graph or the emulator).

`setup-channel` creates (or completes: it is safe to run again) the inspection channel and its
folders (7.2), and records the channel on the stored inspection, creating that record when
there is none yet for this service and on-site start, so `sync-files` can follow.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cli.common import CliError, frameworks, iso_date, print_json, run, settings, with_database
from inspection.clock import SystemClock
from inspection.inspections import InspectionService, channels_of_other_inspections
from inspection.model import Inspection, InspectionStatus, Member, Role
from inspection.workspace import ChannelSetup, ChannelSetupResult, SyncResult, channel_folders
from store.database import Database
from store.inspections import SqlInspectionRepository

if TYPE_CHECKING:
    from graph.workspace import GraphWorkspace
    from settings import Settings


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    setup = commands.add_parser(
        "setup-channel",
        help="create or complete an inspection's Teams channel and folders",
        description=(
            "Create the inspection channel in the team, add its members and one folder per "
            "required item. Running it again finds what exists and completes what is missing."
        ),
    )
    setup.add_argument("--team", help="the team's id (default: GRAPH_TEAM_ID)")
    setup.add_argument("--service", required=True, help="name of the service inspected")
    setup.add_argument("--onsite-start", required=True, type=iso_date, help="YYYY-MM-DD")
    setup.add_argument("--onsite-end", required=True, type=iso_date, help="YYYY-MM-DD")
    setup.add_argument("--lead", required=True, help="lead inspector's Entra object id (owner)")
    setup.add_argument("--link-officer", required=True, help="link officer's Entra object id")
    setup.add_argument("--director", help="director's Entra object id")
    setup.add_argument(
        "--member", action="append", default=[], help="an inspector's Entra object id (repeat)"
    )
    kind = setup.add_mutually_exclusive_group()
    kind.add_argument("--private", dest="membership", action="store_const", const="private")
    kind.add_argument("--standard", dest="membership", action="store_const", const="standard")
    setup.add_argument("--framework", default="jcc-children-social-care")
    setup.add_argument("--type", dest="inspection_type", default="full")
    setup.add_argument(
        "--inspection", type=int, help="record the channel on this stored inspection"
    )
    setup.add_argument("--json", action="store_true", help="print one JSON object")
    setup.set_defaults(handler=run(_setup_channel))

    sync = commands.add_parser(
        "sync-files",
        help="run one delta sync of an inspection's channel files",
        description="Fetch what changed in the inspection channel's Files since the last sync.",
    )
    sync.add_argument("--inspection", required=True, type=int, help="the inspection's id")
    sync.add_argument("--json", action="store_true", help="print one JSON object")
    sync.set_defaults(handler=run(_sync_files))


def _directory(config: Settings, database: Database) -> GraphWorkspace:
    """The Graph directory, imported here: `app` loads this module, and msgraph is large."""
    from graph.wiring import create_directory

    return create_directory(config, database)


def _members(args: argparse.Namespace) -> tuple[Member, ...]:
    found = [
        Member(args.lead, Role.LEAD_INSPECTOR),
        Member(args.link_officer, Role.LINK_OFFICER),
        *(Member(member, Role.INSPECTOR) for member in args.member),
    ]
    if args.director:
        found.append(Member(args.director, Role.DIRECTOR))
    for member in found:
        if not member.aad_object_id.strip():
            raise CliError(f"the {member.role.label}'s id is empty; give an Entra object id")
    return tuple(found)


async def _setup_channel(args: argparse.Namespace) -> int:
    config = settings()
    registry = frameworks(config)
    framework = registry.get(args.framework)
    team_id = args.team or config.graph_team_id
    if not team_id:
        raise CliError("give the team with --team <team-id> or set GRAPH_TEAM_ID")
    if args.onsite_end < args.onsite_start:
        raise CliError(
            f"--onsite-end {args.onsite_end} is before --onsite-start {args.onsite_start}"
        )
    members = _members(args)
    membership = args.membership or config.graph_channel_membership

    async def work(database: Database) -> int:
        repository = SqlInspectionRepository(database)
        inspection = await _inspection_for(args, repository, registry, members)
        directory = _directory(config, database)

        async def progress(message: str) -> None:
            sys.stderr.write(f"inspection-bot: {message}\n")
            sys.stderr.flush()

        request = ChannelSetup(
            team_id=team_id,
            service_name=args.service,
            onsite_start=args.onsite_start,
            lead_inspector=args.lead,
            members=members,
            membership_type=membership,
            folders=channel_folders(framework),
            description=f"{framework.title}: {args.service}",
            existing_channel_id=(
                inspection.channel.channel_id
                if inspection.channel and inspection.channel.team_id == team_id
                else None
            ),
            taken_channel_ids=await channels_of_other_inspections(repository, inspection.id),
        )
        result = await directory.setup_channel(request, progress)
        stored = await repository.update(
            replace(inspection, channel=result.channel, status=InspectionStatus.ACTIVE)
        )
        for warning in result.warnings:
            sys.stderr.write(f"inspection-bot: warning: {warning}\n")
        if args.json:
            print_json(_setup_json(stored, result))
        else:
            done = "Created" if result.channel_created else "Found"
            sys.stdout.write(
                f"{done} channel {result.display_name!r} ({result.channel_id}) for inspection "
                f"{stored.id}; {len(result.folders)} folders"
                f" ({len(result.folders_created)} new).\n"
            )
        return 0

    return await with_database(config, work)


async def _inspection_for(
    args: argparse.Namespace,
    repository: SqlInspectionRepository,
    registry: Any,
    members: tuple[Member, ...],
) -> Inspection:
    if args.inspection is not None:
        return await repository.get(args.inspection)
    name = " ".join(args.service.split())
    for existing in await repository.list_all():
        if existing.service_name == name and existing.onsite_start == args.onsite_start:
            return existing
    service = InspectionService(repository, registry, SystemClock())
    created, _timeline = await service.create(
        framework=args.framework,
        inspection_type=args.inspection_type,
        service_name=name,
        onsite_start=args.onsite_start,
        onsite_end=args.onsite_end,
        members=members,
        allow_late_notice=True,
    )
    return created


def _setup_json(inspection: Inspection, result: ChannelSetupResult) -> dict[str, Any]:
    return {
        "inspection_id": inspection.id,
        "team_id": result.team_id,
        "channel_id": result.channel_id,
        "display_name": result.display_name,
        "membership_type": result.membership_type,
        "drive_id": result.drive_id,
        "folder_id": result.folder_id,
        "web_url": result.web_url,
        "folders": [
            {
                "name": folder.name,
                "item_id": folder.item_id,
                "purpose": folder.purpose.value if folder.purpose else None,
                "item_key": folder.item_key,
            }
            for folder in result.folders
        ],
        "channel_created": result.channel_created,
        "folders_created": list(result.folders_created),
        "members_added": list(result.members_added),
        "warnings": list(result.warnings),
    }


async def _sync_files(args: argparse.Namespace) -> int:
    config = settings()

    async def work(database: Database) -> int:
        inspection = await SqlInspectionRepository(database).get(args.inspection)
        if inspection.channel is None or not inspection.channel.drive_id:
            raise CliError(
                f"inspection {args.inspection} has no channel yet; run "
                "`inspection-bot setup-channel` first"
            )
        directory = _directory(config, database)
        result = await directory.sync_files(args.inspection, inspection.channel)
        if args.json:
            print_json(_sync_json(result))
        elif not result.changes:
            sys.stdout.write("No changes since the last sync.\n")
        else:
            for change in result.changes:
                moved = f" (was {change.previous_path})" if change.previous_path else ""
                sys.stdout.write(f"{change.kind.value:<9} {change.path}{moved}\n")
        return 0

    return await with_database(config, work)


def _sync_json(result: SyncResult) -> dict[str, Any]:
    return {
        "inspection_id": result.inspection_id,
        "full_sync": result.full_sync,
        "resynced": result.resynced,
        "pages": result.pages,
        "files_tracked": result.files_tracked,
        "synced_at": result.synced_at.isoformat() if result.synced_at else None,
        "changes": [
            {
                "kind": change.kind.value,
                "path": change.path,
                "previous_path": change.previous_path,
                "folder": change.folder,
                "name": change.name,
                "item_id": change.item_id,
                "size": change.size,
                "mime_type": change.mime_type,
                "web_url": change.web_url,
                "last_modified": change.last_modified.isoformat() if change.last_modified else None,
                "modified_by": change.modified_by,
            }
            for change in result.changes
        ],
    }
