"""`inspection-bot reminders`: a dry run of the reminders one day brings, and to whom.

Nothing is sent and nothing is recorded: the lead inspector (and the tests) can see what the
scheduler would post on a given day, computed from the stored inspection as it stands.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cli.common import frameworks, iso_date, print_json, run, settings, with_database
from inspection.clock import SystemClock
from inspection.model import Inspection
from inspection.notifier import Delivery, OutgoingMessage
from inspection.reminder_dispatch import ReminderDispatcher
from inspection.reminder_messages import Digest
from store.database import Database


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

    async def work(database: Database) -> int:
        from inspection.checklist import InspectionChecklist
        from scheduler.sources import ChecklistServiceSource, StoreRequestSource
        from store.checklist import SqlChecklistStore
        from store.inspections import SqlInspectionRepository
        from store.outbox import SqlImprovementRepository, SqlOutbox

        clock = SystemClock()
        inspections = SqlInspectionRepository(database)
        dispatcher = ReminderDispatcher(
            inspections=inspections,
            frameworks=registry,
            outbox=SqlOutbox(database),
            notifier=_DryRun(),
            clock=clock,
            checklist=ChecklistServiceSource(
                InspectionChecklist(SqlChecklistStore(database), registry, clock), inspections
            ),
            requests=StoreRequestSource(database),
            improvements=SqlImprovementRepository(database),
            extra_closures=config.extra_closures,
        )
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

    return await with_database(config, work)
