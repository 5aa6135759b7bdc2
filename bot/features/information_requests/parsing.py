"""Reading what people type about requests: refs (IR-004), "due DATE", "IR-004 is answered",
which list they ask for, and who a request is for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.router import Turn
from bot.services import Services
from inspection.dates import parse_date
from inspection.errors import InspectionError
from inspection.model import INSPECTOR_ROLES, Inspection, Role
from inspection.requests import (
    WAITING_STATUSES,
    MessageSource,
    Person,
    RequestQuery,
    RequestStatus,
    format_ref,
    parse_ref,
)

REF = r"IR[\s\-_]?\d{1,6}"
ANSWERED = re.compile(
    rf"^\s*(?P<ref>{REF})\s+(?:(?:is|has\s+been|was|now)\s+)?(?P<partial>partly\s+|partially\s+)?"
    r"answered\b[\s,.;:\-]*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
# "I've answered a request" / "we have responded to IR-004, see the attached"
I_ANSWERED = re.compile(
    r"^\s*(?:I\s*(?:'|’)?ve|I\s+have|I|we\s*(?:'|’)?ve|we\s+have|we)\s+(?:just\s+|now\s+)?"
    r"(?:answered|responded\s+to)\s+(?:(?:a|an|the|one|another)\s+(?:information\s+)?request\b"
    rf"|(?P<ref>{REF})\b[\s,.;:\-]*(?P<rest>.*))",
    re.IGNORECASE | re.DOTALL,
)
LEADING_REF = re.compile(rf"^\s*(?P<ref>{REF}|#?\d{{1,6}})\b[\s,.;:\-]*(?P<rest>.*)$", re.I | re.S)
PRIORITY = re.compile(r"^(?P<level>urgent|high priority|low priority)\s*[:\-]?\s+", re.IGNORECASE)
_LIST_WORDS = frozenset(
    {"overdue", "open", "answered", "all", "due today", "due this week", "this week", "mine"}
)


@dataclass(frozen=True)
class Parsed:
    text: str
    due_on: date | None


def parse_due(turn: Turn, services: Services, text: str) -> Parsed:
    """A trailing "due <date>" (only when what follows really is a date)."""
    inspection = turn.require_inspection()
    lowered = text.lower()
    at = lowered.rfind(" due ")
    if at < 0:
        return Parsed(text, None)
    tail = text[at + 5 :].strip().rstrip(".")
    try:
        due = parse_date(
            tail,
            today=services.requests.today(inspection),
            calendar=services.requests.calendar_of(inspection),
        )
    except InspectionError:
        return Parsed(text, None)
    return Parsed(text[:at].rstrip(" ,;"), due)


def list_words(args: str) -> str | None:
    """What a list of requests is asked for in "show [me] [the] open [requests]", or None
    when `args` names one request (show IR-004) or is not a list."""
    words = " ".join(args.lower().rstrip("?!. ").split())
    words = re.sub(r"^(?:me\s+)?(?:the\s+|all\s+the\s+)?", "", words)
    if words in ("requests", "information requests"):
        return "open"
    words = re.sub(r"\s*(?:information\s+)?(?:requests?|items?)$", "", words)
    if words in _LIST_WORDS:
        return words
    if re.fullmatch(r"(?:for|about)\s+cr[\s\-]?\d+", words):
        return words
    return None


def ref_of(text: str) -> str:
    """The request the text starts with, as IR-004."""
    words = text.split()
    if not words:
        raise InspectionError("say which request, e.g. IR-004")
    return format_ref(parse_ref(words[0]))


def source_of(data: Any) -> MessageSource:
    """The Teams message a request is logged from (a message action's data)."""
    message_id = data.get("message_id")
    if not isinstance(message_id, str) or not message_id:
        raise InspectionError("That message could not be read; copy its text into `request ...`")
    author_id = data.get("message_author_id") or ""
    author = (
        Person(str(author_id), str(data.get("message_author_name") or "")) if author_id else None
    )
    url = data.get("message_url")
    return MessageSource(message_id, url if isinstance(url, str) and url else None, author)


def query_for(words: str, today: date, turn: Turn) -> tuple[RequestQuery, str, str]:
    """The list asked for: its query, heading, and what to say when it is empty."""
    waiting = frozenset(WAITING_STATUSES)
    if words in ("", "open"):
        return RequestQuery(statuses=waiting), "Open requests", "No open requests."
    if words == "all":
        return RequestQuery(), "All requests", "No requests logged yet."
    if words == "overdue":
        return RequestQuery(statuses=waiting), "Overdue requests", "Nothing is overdue."
    if words == "answered":
        return (
            RequestQuery(statuses=frozenset({RequestStatus.ANSWERED})),
            "Answered requests (waiting for an inspector)",
            "No answered requests waiting.",
        )
    if words == "due today":
        return (RequestQuery(statuses=waiting, due_from=today, due_to=today),
                "Requests due today", "Nothing is due today.")  # fmt: skip
    if words in ("due this week", "this week"):
        end = date.fromordinal(today.toordinal() + 6 - today.weekday())
        return (RequestQuery(statuses=waiting, due_to=end), "Requests due this week",
                "Nothing is due this week.")  # fmt: skip
    if words in ("mine", "for me"):
        aad = turn.user.aad_object_id or ""
        if turn.role in INSPECTOR_ROLES:
            return RequestQuery(asked_by=aad), "Requests you asked", "You have not asked any."
        return (RequestQuery(assignee=aad, statuses=waiting), "Requests for you",
                "Nothing is waiting for you.")  # fmt: skip
    match = re.match(r"^(?:for|about|child)\s+(\S+)$", words)
    if match:
        ref = match[1].upper()
        return RequestQuery(child_ref=ref), f"Requests about {ref}", f"No requests about {ref}."
    match = re.match(r"^theme\s+(.+)$", words)
    if match:
        return (RequestQuery(theme=match[1]), f"Requests on {match[1]}",
                f"No requests on {match[1]}.")  # fmt: skip
    raise InspectionError(
        "I can list requests: open, overdue, answered, all, due today, due this week, mine, "
        "for CR-104233, theme THEME"
    )


async def member_id(turn: Turn, inspection: Inspection, who: str) -> str:
    """The Entra id of the person a request is reassigned to: an @mention, a role, a name."""
    if turn.mentions:
        if turn.teams is not None:
            found = await turn.teams.member(turn.mentions[0].teams_id)
            if found is not None:
                return found.aad_object_id
        raise InspectionError(
            "I couldn't find that person in Teams; try `director` or `link officer`"
        )
    role_words = {"director": Role.DIRECTOR, "link officer": Role.LINK_OFFICER,
                  "lead inspector": Role.LEAD_INSPECTOR}  # fmt: skip
    role = role_words.get(" ".join(who.lower().split()).strip(" ."))
    if role is not None:
        member = inspection.first_with(role)
        if member is None:
            raise InspectionError(f"this inspection has no {role.label} yet")
        return member.aad_object_id
    lowered = who.strip().lower()
    for member in inspection.members:
        if member.display_name and member.display_name.lower() == lowered:
            return member.aad_object_id
    raise InspectionError(
        "say who with an @mention, or `director` / `link officer`, e.g. "
        "`reassign IR-004 to director`"
    )
