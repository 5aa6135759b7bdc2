"""`inspection-bot reminders`: a dry run of the reminders one day brings, and to whom.

Nothing is sent and nothing is recorded: the lead inspector (and the tests) can see what the
scheduler would post on a given day, computed from the stored inspection as it stands.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from cli.common import (
    frameworks,
    iso_date,
    print_json,
    run,
    settings,
    with_database,
    with_services,
)
from inspection.clock import SystemClock
from inspection.improvements import AreaForImprovement, ImprovementService
from inspection.model import Inspection
from inspection.notifier import Delivery, OutgoingMessage
from inspection.reminder_messages import Digest
from store.database import Database

if TYPE_CHECKING:
    from bot.services import Services


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "reminders",
        help="show the reminders a day would bring (dry run, nothing is sent)",
        description=(
            "Show what the scheduler would send on a day for one inspection, and to whom, "
            "without sending anything. Undelivered reminders are listed too."
        ),
    )
    parser.add_argument("--inspection", required=True, type=_inspection_id, help="inspection id")
    parser.add_argument("--on", required=True, type=iso_date, help="the day, YYYY-MM-DD")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run(_reminders))
    _register_improvements(commands)


def _register_improvements(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "improvements",
        help="record and list areas for improvement (10.5)",
        description=(
            "Areas for improvement from the published report (handbook 10.5): each has a "
            "3, 6, 9 or 12-month timeframe from publication; progress-update reminders are "
            "sent before each deadline."
        ),
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="{add,list,progress}")
    add = actions.add_parser("add", help="record an area for improvement")
    add.add_argument("--inspection", required=True, type=_inspection_id)
    add.add_argument("--text", required=True, help="what needs to improve")
    add.add_argument("--months", required=True, type=int, help="timeframe: 3, 6, 9 or 12")
    add.add_argument("--standard", help="the standard it relates to")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=run(_improvement_add))
    listing = actions.add_parser("list", help="list areas for improvement and their deadlines")
    listing.add_argument("--inspection", required=True, type=_inspection_id)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=run(_improvement_list))
    progress = actions.add_parser("progress", help="record the provider's progress update")
    progress.add_argument("--inspection", required=True, type=_inspection_id)
    progress.add_argument("--ref", required=True, help="e.g. AFI-2")
    progress.add_argument("--text", required=True, help="the progress made")
    progress.add_argument("--completed", action="store_true", help="done: stop its reminders")
    progress.add_argument("--json", action="store_true")
    progress.set_defaults(handler=run(_improvement_progress))


def _inspection_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an inspection id; use the number `inspection-bot inspections "
            "list` shows"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError("inspection ids start at 1")
    return value


class _DryRun:
    async def send(self, message: OutgoingMessage) -> Delivery:
        raise AssertionError("a dry run never sends")


def _person(inspection: Inspection, aad: str | None) -> dict[str, Any]:
    member = next((m for m in inspection.members if m.aad_object_id == aad), None)
    return {
        "kind": "person",
        "aad_object_id": aad,
        "name": member.display_name if member else "",
        "role": inspection.role_of(aad).label if inspection.role_of(aad) else None,  # type: ignore[union-attr]
    }


def _message_json(digest: Digest, inspection: Inspection, zone: Any) -> dict[str, Any]:
    recipient = digest.message.recipient
    to = (
        {"kind": "channel"}
        if recipient.kind == "channel"
        else _person(inspection, recipient.aad_object_id)
    )
    first = digest.items[0]
    return {
        "time": first.due_at.astimezone(zone).strftime("%H:%M"),
        "at_utc": first.due_at.isoformat(),
        "to": to,
        "mentions": list(digest.message.mentions),
        "text": digest.message.text,
        "items": [
            {
                "key": item.key,
                "rule": item.rule,
                "subject": item.subject,
                "deadline": item.deadline.isoformat(),
                "step": item.step,
                "kind": item.role,
                "line": item.line,
                "source": item.source,
            }
            for item in digest.items
        ],
    }


async def _reminders(args: argparse.Namespace) -> int:
    config = settings()
    registry = frameworks(config)

    async def work(services: Services) -> int:
        dispatcher, inspections = services.dispatcher, services.repository
        inspection = await inspections.get(args.inspection)
        zone = registry.get(inspection.framework).zone
        digests = await dispatcher.preview(args.inspection, args.on)
        failures = await dispatcher.failures(args.inspection)
        messages = [_message_json(d, inspection, zone) for d in digests]
        undelivered = [
            {
                "key": f.key,
                "due_on": f.due_on.isoformat(),
                "to": f.recipient,
                "summary": f.summary,
                "attempts": f.attempts,
                "error": f.last_error,
                "next_attempt_at": f.next_attempt_at.isoformat() if f.next_attempt_at else None,
            }
            for f in failures
        ]
        if args.json:
            print_json(
                {
                    "inspection": args.inspection,
                    "service": inspection.service_name,
                    "date": args.on.isoformat(),
                    "timezone": str(zone),
                    "messages": messages,
                    "undelivered": undelivered,
                }
            )
            return 0
        out = sys.stdout
        day = args.on.strftime("%a %d %b %Y")
        if not messages:
            out.write(f"No reminders for inspection {args.inspection} on {day}.\n")
        for message in messages:
            to = message["to"]
            who = "the channel" if to["kind"] == "channel" else (to["name"] or to["aad_object_id"])
            if to["kind"] == "person" and to["role"]:
                who += f" ({to['role']})"
            out.write(f"{day} {message['time']} to {who}:\n")
            for item in message["items"]:
                out.write(f"  - {item['line']} [{item['source']}]\n")
        for failure in undelivered:
            out.write(
                f"Undelivered ({failure['due_on']}, to {failure['to']}): {failure['summary']} "
                f"- {failure['error']}\n"
            )
        return 0

    return await with_services(config, work, notifier=_DryRun())


def _area_json(area: AreaForImprovement, deadline: Any = None) -> dict[str, Any]:
    return {
        "reference": area.reference,
        "text": area.text,
        "timeframe_months": area.timeframe_months,
        "standard": area.standard,
        "deadline": deadline.isoformat() if deadline else None,
        "progress": area.progress,
        "completed_on": area.completed_on.isoformat() if area.completed_on else None,
    }


def _improvements(database: Database, registry: Any) -> ImprovementService:
    from store.inspections import SqlInspectionRepository
    from store.outbox import SqlImprovementRepository

    return ImprovementService(
        SqlImprovementRepository(database),
        SqlInspectionRepository(database),
        registry,
        SystemClock(),
    )


async def _improvement_add(args: argparse.Namespace) -> int:
    config = settings()
    registry = frameworks(config)

    async def work(database: Database) -> int:
        area = await _improvements(database, registry).add(
            args.inspection, args.text, args.months, args.standard
        )
        if args.json:
            print_json(_area_json(area))
        else:
            sys.stdout.write(f"Recorded {area.reference}: {area.text}\n")
        return 0

    return await with_database(config, work)


async def _improvement_list(args: argparse.Namespace) -> int:
    config = settings()
    registry = frameworks(config)

    async def work(database: Database) -> int:
        found = await _improvements(database, registry).deadlines(args.inspection)
        if args.json:
            print_json({"areas": [_area_json(area, deadline) for area, deadline in found]})
            return 0
        if not found:
            sys.stdout.write(
                f"No areas for improvement recorded for inspection {args.inspection}.\n"
            )
        for area, deadline in found:
            when = deadline.isoformat() if deadline else "from publication (not recorded yet)"
            done = f" - completed {area.completed_on.isoformat()}" if area.completed_on else ""
            heading = f"{area.reference} ({area.timeframe_months} months, due {when}){done}"
            sys.stdout.write(f"{heading}: {area.text}\n")
        return 0

    return await with_database(config, work)


async def _improvement_progress(args: argparse.Namespace) -> int:
    config = settings()
    registry = frameworks(config)

    async def work(database: Database) -> int:
        area = await _improvements(database, registry).record_progress(
            args.inspection, args.ref, args.text, completed=args.completed
        )
        if args.json:
            print_json(_area_json(area))
        else:
            state = "completed" if area.completed_on else "progress recorded"
            sys.stdout.write(f"{area.reference}: {state}.\n")
        return 0

    return await with_database(config, work)
