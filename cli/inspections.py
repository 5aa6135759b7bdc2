"""`inspection-bot inspections create|list`: inspections stored before any channel exists."""

from __future__ import annotations

import argparse
import sys

from cli.common import frameworks, iso_date, print_json, run, settings, with_database
from inspection.clock import SystemClock
from inspection.inspections import InspectionService
from inspection.model import Inspection, Member, Role
from store.database import Database
from store.inspections import SqlInspectionRepository


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("inspections", help="create and list stored inspections")
    actions = parser.add_subparsers(dest="action", required=True, metavar="{create,list}")

    create = actions.add_parser("create", help="store a new inspection")
    create.add_argument("--framework", required=True)
    create.add_argument("--type", required=True, dest="inspection_type")
    create.add_argument("--service", required=True, help="name of the service inspected")
    create.add_argument("--onsite-start", required=True, type=iso_date)
    create.add_argument("--onsite-end", required=True, type=iso_date)
    create.add_argument("--notice", type=iso_date, help="the date notice was given")
    create.add_argument("--lead", help="lead inspector's Entra object id")
    create.add_argument("--link-officer", help="link officer's Entra object id")
    create.add_argument("--director", help="director's Entra object id")
    create.add_argument("--inspector", action="append", default=[], help="a team member's id")
    create.add_argument("--allow-late-notice", action="store_true")
    create.add_argument("--json", action="store_true")
    create.set_defaults(handler=run(_create))

    listing = actions.add_parser("list", help="list stored inspections")
    listing.add_argument("--all", action="store_true", help="include closed inspections")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=run(_list))


async def _create(args: argparse.Namespace) -> int:
    config = settings()
    registry = frameworks(config)
    members = tuple(
        Member(aad_id, role)
        for aad_id, role in (
            (args.lead, Role.LEAD_INSPECTOR),
            (args.link_officer, Role.LINK_OFFICER),
            (args.director, Role.DIRECTOR),
            *((member, Role.INSPECTOR) for member in args.inspector),
        )
        if aad_id
    )

    async def work(database: Database) -> int:
        service = InspectionService(SqlInspectionRepository(database), registry, SystemClock())
        inspection, timeline = await service.create(
            framework=args.framework,
            inspection_type=args.inspection_type,
            service_name=args.service,
            onsite_start=args.onsite_start,
            onsite_end=args.onsite_end,
            notice=args.notice,
            members=members,
            allow_late_notice=args.allow_late_notice,
        )
        for warning in timeline.warnings:
            sys.stderr.write(f"inspection-bot: warning: {warning}\n")
        if args.json:
            print_json({"id": inspection.id, **_summary(inspection)})
        else:
            sys.stdout.write(f"Stored inspection {inspection.id}: {inspection.service_name}\n")
        return 0

    return await with_database(config, work)


async def _list(args: argparse.Namespace) -> int:
    async def work(database: Database) -> int:
        found = await SqlInspectionRepository(database).list_all(include_closed=args.all)
        if args.json:
            print_json({"inspections": [{"id": i.id, **_summary(i)} for i in found]})
        elif not found:
            sys.stdout.write("No inspections stored yet.\n")
        else:
            for inspection in found:
                sys.stdout.write(
                    f"{inspection.id:>5}  {inspection.onsite_start} to {inspection.onsite_end}  "
                    f"{inspection.framework}/{inspection.inspection_type}  "
                    f"{inspection.service_name}  [{inspection.status.value}]\n"
                )
        return 0

    return await with_database(settings(), work)


def _summary(inspection: Inspection) -> dict[str, object]:
    return {
        "framework": inspection.framework,
        "type": inspection.inspection_type,
        "service": inspection.service_name,
        "onsite_start": inspection.onsite_start.isoformat(),
        "onsite_end": inspection.onsite_end.isoformat(),
        "notice": inspection.notice_date.isoformat() if inspection.notice_date else None,
        "status": inspection.status.value,
        "members": [
            {"aad_object_id": m.aad_object_id, "role": m.role.value} for m in inspection.members
        ],
    }
