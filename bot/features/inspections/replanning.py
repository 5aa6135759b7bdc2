"""Re-planning an inspection's dates: moving on site, recording what happened (notice given,
draft report sent), and the factual accuracy grid that goes out with the draft (7.4)."""

from __future__ import annotations

import logging

from bot.features.inspections.cards import timeline_card_off_loop
from bot.features.inspections.channel import framework_of, today_for
from bot.router import Reply, Turn
from bot.services import Services
from inspection.dates import DateError, parse_date
from inspection.errors import InspectionError, PlanningError
from inspection.inspections import timeline_for
from inspection.model import Inspection
from inspection.notifier import DeliveryStatus, OutgoingMessage, Recipient
from inspection.request_export import publish_factual_accuracy_grid
from inspection.timeline import Timeline

log = logging.getLogger(__name__)


async def replanned(
    services: Services, inspection: Inspection, timeline: Timeline, what: str
) -> Reply:
    """What changed, the planner's warnings, and the new timeline."""
    today = today_for(services, inspection)
    warnings = "".join(f"\n\nWarning: {w}" for w in timeline.warnings)
    return Reply(
        text=f"{what} Every date that depends on it has moved.{warnings}",
        card=await timeline_card_off_loop(inspection, timeline, today),
    )


async def record(turn: Turn, services: Services, event: str, label: str, example: str) -> Reply:
    """Record the day `event` happened (the turn's arguments; never a day to come)."""
    inspection = turn.require_inspection()
    if not turn.args:
        raise DateError(f"give the date: {example}")
    calendar = framework_of(services, inspection).calendar_for()
    today = today_for(services, inspection)
    when = parse_date(turn.args, today=today, calendar=calendar, prefer="past")
    if when > today:
        raise PlanningError(
            f"{when:%a %d %b %Y} is in the future; record {label} once it has happened"
        )
    changed, timeline = await services.inspections.record_event(turn.inspection_id, event, when)
    return await replanned(services, changed, timeline, f"Recorded: {label} on {when:%a %d %b %Y}.")


async def post_factual_accuracy_grid(turn: Turn, services: Services, inspection: Inspection) -> str:
    """Upload the Appendix 4 grid to the channel's Files and say so there; what to tell
    the lead inspector (how to get the grid when it could not be posted)."""
    milestone = timeline_for(inspection, services.frameworks).find("factual_accuracy_due")
    due = milestone.date if milestone is not None else None
    deadline = (
        f"The service's factual accuracy comments are due by {due:%a %d %b %Y} "
        "(7.4: within 20 working days of receiving the draft report)."
        if due is not None
        else "The timeline has no date for factual accuracy comments."
    )
    by_hand = (
        f"Get it with `inspection-bot requests grid --inspection {inspection.stored_id} "
        "--xlsx grid.xlsx` and share it with the link officer, or type "
        "`factual accuracy grid` once the channel's Files are available."
    )
    if services.directory is None or inspection.channel is None:
        return (
            "I couldn't post the factual accuracy grid (Appendix 4): "
            + (
                "Microsoft Graph is not set up here, so I can't put files in the channel. "
                if services.directory is None
                else "this inspection has no channel yet. "
            )
            + by_hand
            + f" {deadline}"
        )
    try:
        uploaded = await publish_factual_accuracy_grid(
            services.directory, inspection,
            draft_received=inspection.actuals.get("draft_sent"), comments_due=due,
        )  # fmt: skip
    except InspectionError as exc:
        log.warning("factual accuracy grid not uploaded", extra={"error": str(exc)})
        return (
            f"I couldn't put the factual accuracy grid (Appendix 4) in the channel's Files "
            f"just now ({exc}). Type `factual accuracy grid` to try again, or: {by_hand} "
            f"{deadline}"
        )
    link = f" ({uploaded.web_url})" if uploaded is not None and uploaded.web_url else ""
    told = (
        f"The factual accuracy grid (Appendix 4) is in the channel's Files{link}: record any "
        f"factual inaccuracies in it and return it. {deadline}"
    )
    here = turn.kind == "channel" and turn.channel_id == inspection.channel.channel_id
    if not here:
        # Recorded from a chat: the channel, where the link officer works, hears it too.
        delivery = await services.notifier.send(
            OutgoingMessage(Recipient.channel(inspection.stored_id), told)
        )
        if delivery.status == DeliveryStatus.SENT:
            return f"{told} I said so in the inspection's channel too."
        return f"{told} I couldn't say so in the channel ({delivery.detail or 'not reached'})."
    return told
