"""Creating an inspection and giving it its channel: set up through Microsoft Graph (a new
channel with its folders, the welcome card posted there), or the channel the command came
from when Graph is not configured."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date

from bot.features.inspections.cards import (
    created_text,
    timeline_card_off_loop,
    welcome_card,
)
from bot.router import Reply, Turn
from bot.services import Services
from inspection.clock import local_today
from inspection.errors import InspectionError
from inspection.frameworks import Framework
from inspection.inspections import channels_of_other_inspections, timeline_for
from inspection.model import Channel, Inspection, InspectionStatus, Member
from inspection.workspace import ChannelSetup, setup_members, with_folders

log = logging.getLogger(__name__)


def framework_of(services: Services, inspection: Inspection) -> Framework:
    return services.frameworks.get(inspection.framework)


def today_for(services: Services, inspection: Inspection) -> date:
    return local_today(services.clock, framework_of(services, inspection).zone)


async def create(
    turn: Turn,
    services: Services,
    *,
    framework: Framework,
    inspection_type: str,
    service: str,
    onsite: tuple[date, date],
    notice: date | None,
    members: tuple[Member, ...],
    allow_late_notice: bool,
) -> Reply:
    """Create the inspection, place it in a channel, and say what was done."""
    inspection, timeline = await services.inspections.create(
        framework=framework.key,
        inspection_type=inspection_type,
        service_name=service,
        onsite_start=onsite[0],
        onsite_end=onsite[1],
        notice=notice,
        members=members,
        allow_late_notice=allow_late_notice,
    )
    inspection, notes, welcome_here = await place(turn, services, inspection, framework)
    reply_text = created_text(inspection, timeline, notes)
    today = today_for(services, inspection)
    if welcome_here:
        return Reply(
            text=reply_text,
            more=(Reply(card=welcome_card(inspection, timeline, today, framework)),),
        )
    # Its own message: with a card, a reply's text is only the card's short summary, and
    # what the notes say (the channel's address, a welcome card not posted) must be read.
    return Reply(
        text=reply_text,
        more=(Reply(card=await timeline_card_off_loop(inspection, timeline, today)),),
    )


async def place(
    turn: Turn, services: Services, inspection: Inspection, framework: Framework
) -> tuple[Inspection, list[str], bool]:
    """Give the inspection its channel: set up through the directory, or this channel. Returns
    the inspection as stored, what to tell the lead, and whether the welcome card belongs in
    this reply (this channel became the inspection's)."""
    if services.directory is None:
        if turn.kind == "channel" and turn.channel_id and turn.team_id:
            taken = await services.repository.by_channel(turn.channel_id)
            if taken is None:
                placed = await services.repository.update(
                    replace(
                        inspection,
                        channel=Channel(turn.team_id, turn.channel_id),
                        status=InspectionStatus.ACTIVE,
                    )
                )
                return placed, ["This channel is now the inspection's channel."], True
            return (
                inspection,
                [
                    f"This channel already belongs to the inspection of {taken.service_name}, "
                    "and Microsoft Graph is not configured, so no new channel was made. "
                    "Run the command in an empty channel to use that one."
                ],
                False,
            )
        return (
            inspection,
            [
                "Microsoft Graph is not configured, so no channel was set up: run the "
                "command in the channel you want to use for it."
            ],
            False,
        )
    return await set_up_channel(turn, services, inspection, framework)


async def set_up_channel(
    turn: Turn, services: Services, inspection: Inspection, framework: Framework
) -> tuple[Inspection, list[str], bool]:
    """The channel and its folders through Microsoft Graph, and the welcome card posted in it."""
    assert services.directory is not None
    team_id = services.inspections_team_id or turn.team_id
    lead = inspection.lead_inspector
    if team_id is None or lead is None:
        return (
            inspection,
            [
                "To set up its channel, send `set up channel` from a channel of the team the "
                "inspection should live in."
            ],
            False,
        )
    await turn.say("Setting up the channel and its files; this can take a minute...")
    request = with_folders(
        ChannelSetup(
            team_id=team_id,
            service_name=inspection.service_name,
            onsite_start=inspection.onsite_start,
            lead_inspector=lead.aad_object_id,
            members=setup_members(inspection.members),
            description=f"Inspection of {inspection.service_name} ({framework.title})",
            existing_channel_id=inspection.channel.channel_id if inspection.channel else None,
            taken_channel_ids=await channels_of_other_inspections(
                services.repository, inspection.id
            ),
        ),
        framework,
    )
    try:
        result = await services.directory.setup_channel(request, progress=turn.say)
    except InspectionError as exc:
        return (
            inspection,
            [f"The channel is not set up yet: {exc}. Send `set up channel` to try again."],
            False,
        )
    placed = await services.repository.update(
        replace(inspection, channel=result.channel, status=InspectionStatus.ACTIVE)
    )
    await subscribe_to_files(services, placed)
    timeline = timeline_for(placed, services.frameworks)
    poster = turn.teams.post_to_channel if turn.teams is not None else None
    notes = [
        f'Channel "{result.display_name}" is ready with {len(result.folders)} folders'
        + (f": {result.web_url}" if result.web_url else ".")
    ]
    if poster is not None:
        welcome = welcome_card(placed, timeline, today_for(services, placed), framework)
        try:
            await poster(result.team_id, result.channel_id, Reply(card=welcome))
        except Exception:  # the inspection exists; the welcome can be asked for again
            log.warning("welcome card not posted", exc_info=True)
            notes.append("I couldn't post the welcome card there; type `welcome` in it to show it.")
    return placed, notes, False


async def subscribe_to_files(services: Services, inspection: Inspection) -> None:
    """Change notifications for the new channel's Files at once (the upkeep would make the
    subscription within a minute anyway); a failure here is left to the upkeep."""
    channel = inspection.channel
    if services.subscriptions is None or channel is None or not channel.drive_id:
        return
    try:
        await services.subscriptions.ensure(inspection.stored_id, channel.drive_id)
    except InspectionError as exc:
        log.warning("files subscription not made at set-up (the upkeep retries): %s", exc)
