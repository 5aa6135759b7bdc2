"""The one-line `new inspection` form and the people in it.

`new inspection "<service>" onsite <start> to <end> [focused] [notice <date>]
 link officer @<person> [director @<person>] [team @<person> ...]`: the sender is the lead
inspector; @mentions carry Teams user ids, resolved to Entra object ids through Teams. The
card form (`new_inspection_form`) names people by Entra object id from its people pickers.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.router import InvalidCardData, Mention, Turn
from inspection.dates import DateError, parse_date, parse_date_range
from inspection.errors import ConfigurationError, Forbidden, NotFound, PlanningError
from inspection.frameworks import Framework
from inspection.model import Member, Role

DEFAULT_FRAMEWORK = "jcc-children-social-care"
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


def lead_member(turn: Turn) -> Member:
    if not turn.user.aad_object_id:
        raise Forbidden(
            "I can't tell who you are from this message (Teams sent no Entra user id), so I "
            "can't make you the lead inspector. Try from the Teams app."
        )
    return Member(turn.user.aad_object_id, Role.LEAD_INSPECTOR, turn.user.name)


Resolve = Callable[[str], Awaitable[Any]]


def resolver(turn: Turn) -> Resolve:
    if turn.teams is None:
        raise ConfigurationError("I can't look people up here; use the Teams app")
    return turn.teams.member


async def member_of(resolve: Resolve, mention: Mention, role: Role) -> Member:
    person = await resolve(mention.teams_id)
    if person is None:
        raise NotFound(
            f"I couldn't find {mention.name or 'that person'} in this team. Check they are a "
            "member of it (guests too), then send the command again."
        )
    return Member(person.aad_object_id, role, person.display_name or mention.name, person.email)


_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
MAX_PICKED = 20


def picked(turn: Turn, key: str) -> list[str]:
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


async def picked_member(turn: Turn, aad_object_id: str, role: Role) -> Member:
    """A picked person, with their name from Teams when the bot can see them."""
    person = await turn.teams.member(aad_object_id) if turn.teams is not None else None
    if person is None:
        return Member(aad_object_id, role)
    return Member(aad_object_id, role, person.display_name, person.email)


def iso_date(turn: Turn, key: str) -> date:
    value = turn.data_str(key, max_length=10)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DateError(f"{key.replace('_', ' ')}: {value!r} is not a date (YYYY-MM-DD)") from None
