"""Lead inspector commands: new inspection, status, timeline, and re-planning.

`new inspection "<service>" onsite <start> to <end> [focused] [notice <date>]
 link officer @<person> [director @<person>] [team @<person> ...]`: the sender is the lead
inspector; @mentions carry Teams user ids, resolved to Entra object ids through Teams.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from bot.features.inspections.cards import (
    NEW_INSPECTION_ACTION,
    created_text,
    new_inspection_form,
    status_card,
    timeline_card_off_loop,
    timeline_text,
    welcome_card,
)
from bot.router import InvalidCardData, Mention, Reply, Router, Turn
from bot.services import Services
from inspection.clock import local_today
from inspection.dates import DateError, parse_date, parse_date_range
from inspection.directory import ChannelSetup, setup_members, with_folders
from inspection.errors import (
    ConfigurationError,
    Forbidden,
    InspectionError,
    NotFound,
    PlanningError,
)
from inspection.frameworks import Framework
from inspection.inspections import channels_of_other_inspections, timeline_for
from inspection.model import (
    INSPECTOR_ROLES,
    Channel,
    Inspection,
    InspectionStatus,
    Member,
    Role,
)
from inspection.reminder_messages import undelivered_lines
from inspection.timeline import Timeline

log = logging.getLogger("bot.features.inspections.handlers")

DEFAULT_FRAMEWORK = "jcc-children-social-care"
LEAD_ONLY = frozenset({Role.LEAD_INSPECTOR})
NEW_USAGE = (
    'new inspection "SERVICE" onsite START to END [focused] [notice DATE] '
    "link officer @person [director @person] [team @person ...]"
)
_QUOTED = re.compile(r'^\s*["“”\'‘’]([^"“”‘’]+)["“”\'‘’]\s*(.*)$', re.DOTALL)
_KEYWORDS = re.compile(
    r"\b(on[ -]?site|notice(?: given)?|link officer|director|team|framework|focused|full|"
    r"allow late notice)\b",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"@@(\d+)@@")


@dataclass
class NewInspectionArgs:
    service: str = ""
    framework: str = DEFAULT_FRAMEWORK
    inspection_type: str = "full"
    onsite: tuple[date, date] | None = None
    notice: date | None = None
    link_officers: list[Mention] = field(default_factory=list)
    directors: list[Mention] = field(default_factory=list)
    team: list[Mention] = field(default_factory=list)
    allow_late_notice: bool = False


def parse_new_inspection(
    args: str, mentions: tuple[Mention, ...], framework: Framework, today: date
) -> NewInspectionArgs:
    """The one-line form, checked; every problem is one clear sentence."""
    text = " ".join(args.split())
    # Mentions become placeholders first, so a name such as "Team Director" is not a keyword.
    by_markup: list[Mention] = []
    for mention in mentions:
        if mention.text and mention.text in text:
            text = text.replace(mention.text, f" @@{len(by_markup)}@@ ", 1)
            by_markup.append(mention)
    text = re.sub(r"<at>(.*?)</at>", r"@\1", text)
    result = NewInspectionArgs()
    quoted = _QUOTED.match(text)
    if quoted:
        result.service, rest = quoted[1].strip(), quoted[2]
    else:
        first = _KEYWORDS.search(text)
        result.service = text[: first.start()].strip() if first else text.strip()
        rest = text[first.start() :] if first else ""
    if not result.service:
        raise PlanningError(f"give the service's name in quotes; the form is: {NEW_USAGE}")
    pieces = _KEYWORDS.split(rest)
    if pieces and pieces[0].strip():
        raise PlanningError(
            f'I don\'t know what "{pieces[0].strip()[:40]}" means here; the form is: {NEW_USAGE}'
        )
    calendar = framework.calendar_for()
    for keyword, value in zip(pieces[1::2], pieces[2::2], strict=True):
        word = " ".join(keyword.lower().replace("-", " ").split())
        value = value.strip()
        people = [by_markup[int(n)] for n in _PLACEHOLDER.findall(value)]
        if word in ("onsite", "on site"):
            result.onsite = parse_date_range(value, today=today, calendar=calendar)
        elif word.startswith("notice"):
            result.notice = parse_date(value, today=today, calendar=calendar, prefer="past")
        elif word in ("focused", "full"):
            result.inspection_type = word
            if value:
                raise PlanningError(f'"{value[:40]}" after "{word}" is not part of the form')
        elif word == "framework":
            result.framework = value.split()[0] if value else ""
        elif word == "allow late notice":
            result.allow_late_notice = True
        else:
            if not people:
                raise PlanningError(
                    f"@mention the {word} (type @ and pick them) so I know exactly who they are"
                )
            if _PLACEHOLDER.sub("", value).strip(" ,&and"):
                raise PlanningError(
                    f"after {word}, give only @mentions; "
                    f'"{_PLACEHOLDER.sub("", value).strip()[:40]}" is not one'
                )
            {"link officer": result.link_officers, "director": result.directors}.get(
                word, result.team
            ).extend(people)
    if result.onsite is None:
        raise PlanningError(f"give the on-site dates (onsite 23 March to 27 March): {NEW_USAGE}")
    if not result.link_officers:
        raise MissingLinkOfficer(
            "name the link officer with an @mention (link officer @person); handbook 6.2: the "
            "service names one person as the inspectorate's contact"
        )
    return result


class MissingLinkOfficer(PlanningError):
    """Everything else in the one-line form was fine: the bot can ask for just this."""


def register(router: Router[Any], services: Services) -> None:
    def framework_of(inspection: Inspection) -> Framework:
        return services.frameworks.get(inspection.framework)

    def today_for(inspection: Inspection) -> date:
        return local_today(services.clock, framework_of(inspection).zone)

    # --- new inspection ----------------------------------------------------------------------
    @router.command(
        "new inspection",
        help="Set up an inspection and its channel (you become its lead inspector)",
        usage=NEW_USAGE,
    )
    async def new_inspection(turn: Turn) -> Reply:
        if not turn.args:
            return Reply(
                text="Fill in the form, or type the one-line form: " + NEW_USAGE,
                card=new_inspection_form(services.frameworks),
            )
        lead = _lead_member(turn)
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
        resolve = _resolver(turn)
        members = [lead]
        for role, found in (
            (Role.LINK_OFFICER, parsed.link_officers),
            (Role.DIRECTOR, parsed.directors),
            (Role.INSPECTOR, parsed.team),
        ):
            for mention in found:
                members.append(await _member(resolve, mention, role))
        assert parsed.onsite is not None
        return await _create(
            turn,
            framework=framework,
            inspection_type=parsed.inspection_type,
            service=parsed.service,
            onsite=parsed.onsite,
            notice=parsed.notice,
            members=tuple(members),
            allow_late_notice=parsed.allow_late_notice,
        )

    @router.action(NEW_INSPECTION_ACTION)
    async def new_inspection_from_card(turn: Turn) -> Reply:
        lead = _lead_member(turn)
        try:
            kind = turn.data_str("kind", max_length=140)
            framework_key, _, type_key = kind.partition("/")
            framework = services.frameworks.get(framework_key)
            framework.inspection_type(type_key)
            service = turn.data_str("service", max_length=200)
            start = _iso(turn, "onsite_start")
            end = _iso(turn, "onsite_end")
            raw_notice = (turn.data or {}).get("notice")
            notice = _iso(turn, "notice") if raw_notice else None
            people = [
                (role, aad)
                for key, role in (
                    ("link_officer", Role.LINK_OFFICER),
                    ("director", Role.DIRECTOR),
                    ("team", Role.INSPECTOR),
                )
                for aad in _picked(turn, key)
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
        return await _create(
            turn,
            framework=framework,
            inspection_type=type_key,
            service=service,
            onsite=(start, end),
            notice=notice,
            members=(lead, *[await _picked_member(turn, aad, role) for role, aad in people]),
            allow_late_notice=False,
        )

    async def _create(
        turn: Turn,
        *,
        framework: Framework,
        inspection_type: str,
        service: str,
        onsite: tuple[date, date],
        notice: date | None,
        members: tuple[Member, ...],
        allow_late_notice: bool,
    ) -> Reply:
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
        inspection, notes, welcome_here = await _place(turn, inspection, framework)
        reply_text = created_text(inspection, timeline, notes)
        today = today_for(inspection)
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

    async def _place(
        turn: Turn, inspection: Inspection, framework: Framework
    ) -> tuple[Inspection, list[str], bool]:
        """Give the inspection its channel: set up through the directory, or this channel."""
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
        return await _set_up_channel(turn, inspection, framework)

    async def _set_up_channel(
        turn: Turn, inspection: Inspection, framework: Framework
    ) -> tuple[Inspection, list[str], bool]:
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
        timeline = timeline_for(placed, services.frameworks)
        poster = turn.teams.post_to_channel if turn.teams is not None else None
        notes = [
            f'Channel "{result.display_name}" is ready with {len(result.folders)} folders'
            + (f": {result.web_url}" if result.web_url else ".")
        ]
        if poster is not None:
            welcome = welcome_card(placed, timeline, today_for(placed), framework)
            try:
                await poster(result.team_id, result.channel_id, Reply(card=welcome))
            except Exception:  # the inspection exists; the welcome can be asked for again
                log.warning("welcome card not posted", exc_info=True)
                notes.append(
                    "I couldn't post the welcome card there; type `welcome` in it to show it."
                )
        return placed, notes, False

    @router.command(
        "set up channel",
        roles=LEAD_ONLY,
        help="Set up (or finish setting up) the inspection's channel and folders",
    )
    async def set_up_channel(turn: Turn) -> Reply:
        inspection = turn.require_inspection()
        framework = framework_of(inspection)
        placed, notes, welcome_here = await _place(turn, inspection, framework)
        if welcome_here:
            timeline = timeline_for(placed, services.frameworks)
            return Reply(
                text=" ".join(notes),
                card=welcome_card(placed, timeline, today_for(placed), framework),
            )
        return Reply(text=" ".join(notes))

    # --- status and timeline -----------------------------------------------------------------
    async def status_reply(turn: Turn) -> Reply:
        inspection = turn.require_inspection()
        timeline = timeline_for(inspection, services.frameworks)
        today = today_for(inspection)
        checklist = await _checklist_summary(services, inspection)
        requests = await _requests_summary(services, inspection, turn.role, today)
        nxt = timeline.upcoming(today, 1)
        summary = (
            f"{inspection.service_name}: checklist {checklist}; requests {requests}"
            + (f"; next: {nxt[0].title} on {nxt[0].date:%a %d %b}" if nxt else "")
            + "."
        )
        # 6: reminders Teams would not take are kept as failed and shown to inspectors here.
        undelivered: list[str] = []
        if services.outbox is not None and turn.role in INSPECTOR_ROLES:
            names = {m.aad_object_id: m.display_name or m.role.label for m in inspection.members}
            failures = await services.outbox.failures(inspection.stored_id)
            undelivered = undelivered_lines(failures, names=names)
        return Reply(
            text="\n".join([summary, *undelivered]),
            card=status_card(
                inspection,
                timeline,
                today,
                checklist=checklist,
                requests=requests,
                undelivered=undelivered,
            ),
        )

    async def timeline_reply(turn: Turn) -> Reply:
        inspection = turn.require_inspection()
        timeline = timeline_for(inspection, services.frameworks)
        today = today_for(inspection)
        return Reply(
            text=timeline_text(inspection, timeline, today),
            card=await timeline_card_off_loop(inspection, timeline, today),
        )

    router.command(
        "status",
        needs_inspection=True,
        help="Checklist counts, open and overdue requests, the next three deadlines",
    )(status_reply)
    router.action("status", needs_inspection=True)(status_reply)
    router.command(
        "timeline",
        needs_inspection=True,
        help="Every dated milestone: what is past, what is next",
    )(timeline_reply)
    router.action("timeline", needs_inspection=True)(timeline_reply)

    # --- the welcome card again --------------------------------------------------------------
    async def welcome_reply(turn: Turn) -> Reply:
        """The channel's welcome card on demand: when its first post failed, for people who
        joined later, and after re-planning (its dates are worked out afresh)."""
        inspection = turn.require_inspection()
        framework = framework_of(inspection)
        timeline = timeline_for(inspection, services.frameworks)
        return Reply(
            text=f"The welcome card of the inspection of {inspection.service_name}.",
            card=welcome_card(inspection, timeline, today_for(inspection), framework),
        )

    router.command(
        "welcome",
        needs_inspection=True,
        help="Show the inspection's welcome card again: who is who, what to upload, when",
    )(welcome_reply)

    # --- re-planning -------------------------------------------------------------------------
    async def replanned(turn: Turn, inspection: Inspection, timeline: Timeline, what: str) -> Reply:
        today = today_for(inspection)
        warnings = "".join(f"\n\nWarning: {w}" for w in timeline.warnings)
        return Reply(
            text=f"{what} Every date that depends on it has moved.{warnings}",
            card=await timeline_card_off_loop(inspection, timeline, today),
        )

    @router.command(
        "move onsite",
        roles=LEAD_ONLY,
        help="Move the on-site dates; the timeline is re-planned",
        usage="move onsite START to END",
        aliases=("move on site", "move on-site"),
    )
    async def move_onsite(turn: Turn) -> Reply:
        inspection = turn.require_inspection()
        if not turn.args:
            raise DateError("give the new on-site dates: move onsite 23 March to 27 March")
        calendar = framework_of(inspection).calendar_for()
        start, end = parse_date_range(turn.args, today=today_for(inspection), calendar=calendar)
        changed, timeline = await services.inspections.move_onsite(turn.inspection_id, start, end)
        return await replanned(
            turn, changed, timeline, f"On site is now {start:%a %d %b %Y} to {end:%a %d %b %Y}."
        )

    async def record(turn: Turn, event: str, label: str, example: str) -> Reply:
        inspection = turn.require_inspection()
        if not turn.args:
            raise DateError(f"give the date: {example}")
        calendar = framework_of(inspection).calendar_for()
        today = today_for(inspection)
        when = parse_date(turn.args, today=today, calendar=calendar, prefer="past")
        if when > today:
            raise PlanningError(
                f"{when:%a %d %b %Y} is in the future; record {label} once it has happened"
            )
        changed, timeline = await services.inspections.record_event(turn.inspection_id, event, when)
        return await replanned(turn, changed, timeline, f"Recorded: {label} on {when:%a %d %b %Y}.")

    @router.command(
        "notice given",
        roles=LEAD_ONLY,
        help="Record the day notice was given (7.2); deadlines count from it",
        usage="notice given DATE",
    )
    async def notice_given(turn: Turn) -> Reply:
        return await record(turn, "notice", "notice given", "notice given 2 March")

    @router.command(
        "draft sent",
        roles=LEAD_ONLY,
        help="Record the day the draft report was sent; factual accuracy counts from it",
        usage="draft sent DATE",
    )
    async def draft_sent(turn: Turn) -> Reply:
        recorded = await record(turn, "draft_sent", "draft report sent", "draft sent yesterday")
        # 7.4 / Appendix 4: the provider comments on factual accuracy in the grid, so it goes
        # to the channel as soon as the draft is out.
        inspection = await services.repository.get(turn.inspection_id)
        grid = await post_factual_accuracy_grid(turn, inspection)
        # Its own message: with a card, a reply's text is only the card's short summary.
        return replace(recorded, more=(*recorded.more, Reply(text=grid)))

    async def post_factual_accuracy_grid(turn: Turn, inspection: Inspection) -> str:
        """Upload the Appendix 4 grid to the channel's Files and say so there; what to tell
        the lead inspector (how to get the grid when it could not be posted)."""
        from inspection.notifier import DeliveryStatus, OutgoingMessage, Recipient
        from inspection.request_export import publish_factual_accuracy_grid

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
        if not here and services.notifier is not None:
            # Recorded from a chat: the channel, where the link officer works, hears it too.
            delivery = await services.notifier.send(
                OutgoingMessage(Recipient.channel(inspection.stored_id), told)
            )
            if delivery.status == DeliveryStatus.SENT:
                return f"{told} I said so in the inspection's channel too."
            return f"{told} I couldn't say so in the channel ({delivery.detail or 'not reached'})."
        return told


# --- helpers ---------------------------------------------------------------------------------
def _lead_member(turn: Turn) -> Member:
    if not turn.user.aad_object_id:
        raise Forbidden(
            "I can't tell who you are from this message (Teams sent no Entra user id), so I "
            "can't make you the lead inspector. Try from the Teams app."
        )
    return Member(turn.user.aad_object_id, Role.LEAD_INSPECTOR, turn.user.name)


Resolve = Callable[[str], Awaitable[Any]]


def _resolver(turn: Turn) -> Resolve:
    if turn.teams is None:
        raise ConfigurationError("I can't look people up here; use the Teams app")
    return turn.teams.member


async def _member(resolve: Resolve, mention: Mention, role: Role) -> Member:
    person = await resolve(mention.teams_id)
    if person is None:
        raise NotFound(
            f"I couldn't find {mention.name or 'that person'} in this team. Check they are a "
            "member of it (guests too), then send the command again."
        )
    return Member(person.aad_object_id, role, person.display_name or mention.name, person.email)


_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
MAX_PICKED = 20


def _picked(turn: Turn, key: str) -> list[str]:
    """Entra object ids from a people picker ("id1,id2"); anything else is refused."""
    value = (turn.data or {}).get(key)
    if value is None or value == "":
        return []
    if not isinstance(value, str) or len(value) > 40 * MAX_PICKED:
        raise InvalidCardData(key)
    ids = [part.strip() for part in value.split(",") if part.strip()]
    if len(ids) > MAX_PICKED or not all(_GUID.match(one) for one in ids):
        raise InvalidCardData(key)
    return list(dict.fromkeys(ids))


async def _picked_member(turn: Turn, aad_object_id: str, role: Role) -> Member:
    """A picked person, with their name from Teams when the bot can see them."""
    person = await turn.teams.member(aad_object_id) if turn.teams is not None else None
    if person is None:
        return Member(aad_object_id, role)
    return Member(aad_object_id, role, person.display_name, person.email)


def _iso(turn: Turn, key: str) -> date:
    value = turn.data_str(key, max_length=10)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DateError(f"{key.replace('_', ' ')}: {value!r} is not a date (YYYY-MM-DD)") from None


async def _checklist_summary(services: Services, inspection: Inspection) -> str:
    if services.checklist is None:
        return "not available yet"
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


async def _requests_summary(
    services: Services, inspection: Inspection, role: Role | None, today: date
) -> str:
    if services.requests is None:
        return "not available yet"
    # Overdue = waiting and due before today (RequestLog.overdue's rule). Counted by the
    # database: loading the requests was the costliest part of `status` (issue 7 profile).
    # Counts are the same for every audience (internal notes are not counted).
    del role
    try:
        waiting, late = await services.requests.waiting_counts(inspection.stored_id, today)
    except InspectionError as exc:
        return f"not available right now ({exc})"
    return f"{waiting} open, {late} overdue"
