"""Chasing and reminders from the bot's side: `chase`, "Show overdue", "Snooze 1 day",
"what's due this week".

7.2: documents are due within ten working days of notice; 7.3: every information request has
a due date. The scheduler chases on its own ladder; `chase` lets an inspector do it now.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.features.reminders.cards import (
    SHOW_OVERDUE_ACTION,
    OverdueLine,
    overdue_card,
    snoozed_card,
)
from bot.router import InvalidCardData, Reply, Routes, Turn
from bot.services import Services
from inspection.clock import local_today
from inspection.inspections import timeline_for
from inspection.model import INSPECTOR_ROLES, Inspection, Role
from inspection.notifier import DeliveryStatus, OutgoingMessage, Recipient
from inspection.reminder_messages import SNOOZE_ACTION
from inspection.requests import audience_for

MAX_SERIES = 50
DOCUMENTS_DUE = "documents_due"

routes = Routes()


def today_for(services: Services, inspection: Inspection) -> date:
    return local_today(services.clock, services.frameworks.get(inspection.framework).zone)


async def overdue_lines(
    services: Services, inspection: Inspection, role: Role | None
) -> list[OverdueLine]:
    """Overdue information requests (7.3) and missing required documents past 7.2's date."""
    today = today_for(services, inspection)
    framework = services.frameworks.get(inspection.framework)
    calendar = framework.calendar_for()
    lines: list[OverdueLine] = []
    for request in await services.requests.overdue(inspection.stored_id, today, audience_for(role)):
        late = calendar.working_days_left(today, request.due_on)
        lines.append(
            OverdueLine(
                what=f"{request.ref}: {_short(request.text)}",
                detail=f"due {request.due_on:%a %d %b %Y}, {-late} working day(s) ago",
                source="7.3",
            )
        )
    deadline = timeline_for(inspection, services.frameworks).find(DOCUMENTS_DUE)
    if deadline is not None and deadline.date < today:
        state = await services.checklist.state(inspection)
        for item in state.missing_required():
            lines.append(
                OverdueLine(
                    what=f"Missing: {item.title}",
                    detail=f"required documents were due {deadline.date:%a %d %b %Y}",
                    source=item.source,
                )
            )
    return lines


@routes.command(
    "chase",
    roles=INSPECTOR_ROLES,
    help="Chase now: post everything overdue to the channel and the link officer",
)
async def chase_overdue(turn: Turn, services: Services) -> Reply:
    inspection = turn.require_inspection()
    lines = await overdue_lines(services, inspection, Role.LINK_OFFICER)
    if not lines:
        return Reply(text=f"Nothing is overdue for {inspection.service_name}; no chase sent.")
    card = overdue_card(inspection.service_name, lines, heading="Chase", chase=True)
    text = f"Chase: {len(lines)} overdue item(s) for {inspection.service_name}."
    sent: list[str] = []
    problems: list[str] = []
    recipients = [("the channel", Recipient.channel(turn.inspection_id))]
    link = inspection.link_officer
    if link is not None:
        recipients.append(
            (
                f"{link.display_name or 'the link officer'} (link officer)",
                Recipient.person(turn.inspection_id, link.aad_object_id),
            )
        )
    for label, recipient in recipients:
        mentions = (link.aad_object_id,) if link and recipient.kind == "channel" else ()
        metadata = (
            {f"mention:{link.aad_object_id}": link.display_name or "link officer"}
            if mentions and link
            else {}
        )
        delivery = await services.notifier.send(
            OutgoingMessage(recipient, text, card, mentions=mentions, metadata=metadata)
        )
        if delivery.status == DeliveryStatus.SENT:
            sent.append(label)
        else:
            problems.append(f"{label}: {delivery.detail}")
    summary = f"Chased {len(lines)} overdue item(s)"
    summary += f"; sent to {' and '.join(sent)}." if sent else "; nothing could be sent."
    if problems:
        summary += " Not sent to " + "; ".join(problems) + "."
    return Reply(text=summary)


@routes.intent(
    r"\b(what'?s|what is|show|anything|list)\b.*\boverdue\b",
    name="overdue",
    needs_inspection=True,
    help="what's overdue?",
)
@routes.action(SHOW_OVERDUE_ACTION, needs_inspection=True)
async def show_overdue(turn: Turn, services: Services) -> Reply:
    inspection = turn.require_inspection()
    lines = await overdue_lines(services, inspection, turn.role)
    return Reply(
        text=f"{len(lines)} overdue item(s) for {inspection.service_name}.",
        card=overdue_card(inspection.service_name, lines, heading="Overdue", chase=False),
    )


@routes.intent(
    r"\b(what'?s|what is|anything)\b.*\bdue\b.*\b(this|next) week\b",
    name="due this week",
    needs_inspection=True,
    help="what's due this week?",
)
async def due_this_week(turn: Turn, services: Services) -> Reply:
    inspection = turn.require_inspection()
    today = today_for(services, inspection)
    start = today
    if "next week" in turn.text.lower():
        start = today + timedelta(days=7 - today.weekday())
    end = start + timedelta(days=6 - start.weekday())
    timeline = timeline_for(inspection, services.frameworks)
    lines = [
        f"- {m.date:%a %d %b}: {m.title} ({m.source})"
        for m in timeline.milestones
        if start <= m.date <= end or (m.date < start <= m.last_day)
    ]
    for request in await services.requests.due_between(
        inspection.stored_id, start, end, audience_for(turn.role)
    ):
        lines.append(f"- {request.due_on:%a %d %b}: {request.ref} {_short(request.text)}")
    period = f"{start:%a %d %b} to {end:%a %d %b}"
    if not lines:
        return Reply(text=f"Nothing is due for {inspection.service_name} from {period}.")
    return Reply(text=f"Due for {inspection.service_name} from {period}:\n\n" + "\n".join(lines))


@routes.action(SNOOZE_ACTION)
async def snooze_reminders(turn: Turn, services: Services) -> Reply:
    inspection_id = turn.data_int("inspection_id")
    series = (turn.data or {}).get("series")
    if (
        not isinstance(series, list)
        or not series
        or len(series) > MAX_SERIES
        or not all(isinstance(s, str) and 0 < len(s) <= 400 for s in series)
    ):
        raise InvalidCardData("series")
    if services.scheduler is None:
        return Reply(text="Reminders are not running here, so there is nothing to snooze.")
    aad = turn.user.aad_object_id or ""
    until = await services.scheduler.dispatcher.snooze(inspection_id, series, aad)
    return Reply(
        text=f"Snoozed until the end of {until:%a %d %b %Y}.",
        card=snoozed_card(until, turn.user.name),
        update=True,
    )


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
