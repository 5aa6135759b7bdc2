"""Lead inspector commands: new inspection, status, timeline, welcome, and re-planning.

The one-line `new inspection` form is read in `new_inspection.py`; the inspection gets its
channel in `channel.py`; date moves and what goes with them are in `replanning.py`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.features.inspections.cards import (
    NEW_INSPECTION_ACTION,
    STATUS_ACTION,
    TIMELINE_ACTION,
    new_inspection_form,
    status_card,
    timeline_card_off_loop,
    timeline_text,
    welcome_card,
)
from bot.features.inspections.channel import create, framework_of, place, today_for
from bot.features.inspections.new_inspection import (
    DEFAULT_FRAMEWORK,
    NEW_USAGE,
    MissingLinkOfficer,
    iso_date,
    lead_member,
    member_of,
    parse_new_inspection,
    picked,
    picked_member,
    resolver,
)
from bot.features.inspections.replanning import post_factual_accuracy_grid, record, replanned
from bot.router import Reply, Routes, Turn
from bot.services import Services
from inspection.clock import local_today
from inspection.dates import DateError, parse_date_range
from inspection.errors import InspectionError, PlanningError
from inspection.inspections import timeline_for
from inspection.model import INSPECTOR_ROLES, Inspection, Role
from inspection.reminder_messages import undelivered_lines

LEAD_ONLY = frozenset({Role.LEAD_INSPECTOR})

routes = Routes()


# --- new inspection ------------------------------------------------------------------------------
@routes.command(
    "new inspection",
    help="Set up an inspection and its channel (you become its lead inspector)",
    usage=NEW_USAGE,
)
async def new_inspection(turn: Turn, services: Services) -> Reply:
    if not turn.args:
        return Reply(
            text="Fill in the form, or type the one-line form: " + NEW_USAGE,
            card=new_inspection_form(services.frameworks),
        )
    lead = lead_member(turn)
    default = services.frameworks.get(DEFAULT_FRAMEWORK)
    try:
        parsed = parse_new_inspection(
            turn.args, turn.mentions, default, local_today(services.clock, default.zone)
        )
    except MissingLinkOfficer:
        if len(turn.args) > 1500:
            raise
        how = "mention me and them" if turn.kind == "channel" else "mention them here"
        return Reply(
            text="Who is the link officer (handbook 6.2: the service's contact)? "
            f"Just {how} (@name) and I'll carry on.",
            expect=f"new inspection {turn.args} link officer",
        )
    framework = services.frameworks.get(parsed.framework)
    if framework.key != default.key:
        # Dates are local to the framework's jurisdiction: parse again in its calendar.
        parsed = parse_new_inspection(
            turn.args, turn.mentions, framework, local_today(services.clock, framework.zone)
        )
    framework.inspection_type(parsed.inspection_type)
    if framework.kind != "inspection":
        raise PlanningError(
            f"{framework.title} is a monthly cycle, not an inspection with on-site dates"
        )
    resolve = resolver(turn)
    members = [lead]
    for role, found in (
        (Role.LINK_OFFICER, parsed.link_officers),
        (Role.DIRECTOR, parsed.directors),
        (Role.INSPECTOR, parsed.team),
    ):
        for mention in found:
            members.append(await member_of(resolve, mention, role))
    assert parsed.onsite is not None
    return await create(
        turn,
        services,
        framework=framework,
        inspection_type=parsed.inspection_type,
        service=parsed.service,
        onsite=parsed.onsite,
        notice=parsed.notice,
        members=tuple(members),
        allow_late_notice=parsed.allow_late_notice,
    )


@routes.action(NEW_INSPECTION_ACTION)
async def new_inspection_from_card(turn: Turn, services: Services) -> Reply:
    lead = lead_member(turn)
    try:
        kind = turn.data_str("kind", max_length=140)
        framework_key, _, type_key = kind.partition("/")
        framework = services.frameworks.get(framework_key)
        framework.inspection_type(type_key)
        service = turn.data_str("service", max_length=200)
        start = iso_date(turn, "onsite_start")
        end = iso_date(turn, "onsite_end")
        raw_notice = (turn.data or {}).get("notice")
        notice = iso_date(turn, "notice") if raw_notice else None
        people = [
            (role, aad)
            for key, role in (
                ("link_officer", Role.LINK_OFFICER),
                ("director", Role.DIRECTOR),
                ("team", Role.INSPECTOR),
            )
            for aad in picked(turn, key)
        ]
        if not any(role == Role.LINK_OFFICER for role, _ in people):
            raise PlanningError(
                "choose the link officer: handbook 6.2, the service names one person as the "
                "inspectorate's contact"
            )
    except InspectionError as exc:
        return Reply(
            text=str(exc),
            card=new_inspection_form(services.frameworks, error=str(exc)),
            update=True,
        )
    return await create(
        turn,
        services,
        framework=framework,
        inspection_type=type_key,
        service=service,
        onsite=(start, end),
        notice=notice,
        members=(lead, *[await picked_member(turn, aad, role) for role, aad in people]),
        allow_late_notice=False,
    )


@routes.command(
    "set up channel",
    roles=LEAD_ONLY,
    help="Set up (or finish setting up) the inspection's channel and folders",
)
async def set_up_channel(turn: Turn, services: Services) -> Reply:
    inspection = turn.require_inspection()
    framework = framework_of(services, inspection)
    placed, notes, welcome_here = await place(turn, services, inspection, framework)
    if welcome_here:
        timeline = timeline_for(placed, services.frameworks)
        return Reply(
            text=" ".join(notes),
            card=welcome_card(placed, timeline, today_for(services, placed), framework),
        )
    return Reply(text=" ".join(notes))


# --- status and timeline -------------------------------------------------------------------------
@routes.command(
    "status",
    needs_inspection=True,
    help="Checklist counts, open and overdue requests, the next three deadlines",
)
@routes.action(STATUS_ACTION, needs_inspection=True)
async def show_status(turn: Turn, services: Services) -> Reply:
    inspection = turn.require_inspection()
    timeline = timeline_for(inspection, services.frameworks)
    today = today_for(services, inspection)
    checklist = await checklist_summary(services, inspection)
    requests = await requests_summary(services, inspection, today)
    nxt = timeline.upcoming(today, 1)
    summary = (
        f"{inspection.service_name}: checklist {checklist}; requests {requests}"
        + (f"; next: {nxt[0].title} on {nxt[0].date:%a %d %b}" if nxt else "")
        + "."
    )
    # 6: reminders Teams would not take are kept as failed and shown to inspectors here.
    undelivered: list[str] = []
    files_mode: str | None = None
    if turn.role in INSPECTOR_ROLES:
        names = {m.aad_object_id: m.display_name or m.role.label for m in inspection.members}
        failures = await services.outbox.failures(inspection.stored_id)
        undelivered = undelivered_lines(failures, names=names)
        if services.file_sync is not None and services.directory is not None:
            # Live (a Graph change subscription) or polled: how soon an upload is seen.
            files_mode = (await services.file_sync.files_mode(inspection.stored_id)).text
    return Reply(
        text="\n".join([summary, *undelivered, *([files_mode] if files_mode else [])]),
        card=status_card(
            inspection,
            timeline,
            today,
            checklist=checklist,
            requests=requests,
            undelivered=undelivered,
            files_mode=files_mode,
        ),
    )


@routes.command(
    "timeline",
    needs_inspection=True,
    help="Every dated milestone: what is past, what is next",
)
@routes.action(TIMELINE_ACTION, needs_inspection=True)
async def show_timeline(turn: Turn, services: Services) -> Reply:
    inspection = turn.require_inspection()
    timeline = timeline_for(inspection, services.frameworks)
    today = today_for(services, inspection)
    return Reply(
        text=timeline_text(inspection, timeline, today),
        card=await timeline_card_off_loop(inspection, timeline, today),
    )


@routes.command(
    "welcome",
    needs_inspection=True,
    help="Show the inspection's welcome card again: who is who, what to upload, when",
)
async def show_welcome(turn: Turn, services: Services) -> Reply:
    """The channel's welcome card on demand: when its first post failed, for people who
    joined later, and after re-planning (its dates are worked out afresh)."""
    inspection = turn.require_inspection()
    framework = framework_of(services, inspection)
    timeline = timeline_for(inspection, services.frameworks)
    return Reply(
        text=f"The welcome card of the inspection of {inspection.service_name}.",
        card=welcome_card(inspection, timeline, today_for(services, inspection), framework),
    )


# --- re-planning ---------------------------------------------------------------------------------
@routes.command(
    "move onsite",
    roles=LEAD_ONLY,
    help="Move the on-site dates; the timeline is re-planned",
    usage="move onsite START to END",
    aliases=("move on site", "move on-site"),
)
async def move_onsite(turn: Turn, services: Services) -> Reply:
    inspection = turn.require_inspection()
    if not turn.args:
        raise DateError("give the new on-site dates: move onsite 23 March to 27 March")
    calendar = framework_of(services, inspection).calendar_for()
    start, end = parse_date_range(
        turn.args, today=today_for(services, inspection), calendar=calendar
    )
    changed, timeline = await services.inspections.move_onsite(turn.inspection_id, start, end)
    return await replanned(
        services, changed, timeline, f"On site is now {start:%a %d %b %Y} to {end:%a %d %b %Y}."
    )


@routes.command(
    "notice given",
    roles=LEAD_ONLY,
    help="Record the day notice was given (7.2); deadlines count from it",
    usage="notice given DATE",
)
async def notice_given(turn: Turn, services: Services) -> Reply:
    return await record(turn, services, "notice", "notice given", "notice given 2 March")


@routes.command(
    "draft sent",
    roles=LEAD_ONLY,
    help="Record the day the draft report was sent; factual accuracy counts from it",
    usage="draft sent DATE",
)
async def draft_sent(turn: Turn, services: Services) -> Reply:
    recorded = await record(
        turn, services, "draft_sent", "draft report sent", "draft sent yesterday"
    )
    # 7.4 / Appendix 4: the provider comments on factual accuracy in the grid, so it goes
    # to the channel as soon as the draft is out.
    inspection = await services.repository.get(turn.inspection_id)
    grid = await post_factual_accuracy_grid(turn, services, inspection)
    # Its own message: with a card, a reply's text is only the card's short summary.
    return replace(recorded, more=(*recorded.more, Reply(text=grid)))


# --- the counts `status` shows -------------------------------------------------------------------
async def checklist_summary(services: Services, inspection: Inspection) -> str:
    try:
        state = await services.checklist.state(inspection)
        counts = state.required_counts()
    except InspectionError as exc:
        return f"not available right now ({exc})"
    total = sum(counts.values())
    return (
        f"{counts.get('received', 0)} of {total} required received, "
        f"{counts.get('missing', 0)} missing, {counts.get('needs_attention', 0)} need attention"
        + (f", {counts['waived']} waived" if counts.get("waived") else "")
    )


async def requests_summary(services: Services, inspection: Inspection, today: date) -> str:
    # Overdue = waiting and due before today (RequestLog.overdue's rule). Counted by the
    # database rather than loaded: loading the requests was the costliest part of `status`.
    # The counts are the same for every audience (internal notes are not counted).
    try:
        waiting, late = await services.requests.waiting_counts(inspection.stored_id, today)
    except InspectionError as exc:
        return f"not available right now ({exc})"
    return f"{waiting} open, {late} overdue"
