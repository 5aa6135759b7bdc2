"""Cards for the information request log (7.3): one request, a list, and "log anyway?".

A card's audience is decided by the caller: in a channel or group chat everybody sees it, so
only a personal chat with an inspector gets inspectors-only notes (9.7).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.cards import Json, card, facts, submit, text, title
from inspection.requests import InformationRequest, Precheck, RequestPage, RequestStatus

MAX_LIST = 40
# The buttons' action names (each handled in this feature's handlers.py).
ANSWERED_ACTION = "request_answered"
CLOSE_ACTION = "request_close"
WITHDRAW_ACTION = "request_withdraw"
SHOW_ACTION = "request_show"
FOLLOW_UP_ACTION = "request_follow_up"
LOG_CONFIRMED_ACTION = "request_log_confirmed"
LOG_CANCELLED_ACTION = "request_log_cancelled"
ANSWER_CONFIRMED_ACTION = "request_answer_confirmed"
NOTE_CONFIRMED_ACTION = "request_note_confirmed"
MORE_ACTION = "requests_more"
# Who will see a request card, so it offers only the buttons they may press: inspectors close,
# follow up and withdraw (7.3); the link officer and director mark answered; an observer only
# reads. "everyone" is a channel or group chat (a mixed audience): both sides' main buttons,
# and the router's role check refuses a press by the wrong side.
Viewer = Literal["inspector", "provider", "observer", "everyone"]


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%a %d %b %Y %H:%M}"


def _short(value: str, limit: int = 90) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _status_line(request: InformationRequest, today: date) -> str:
    late = " · OVERDUE" if request.is_overdue(today) else ""
    return f"{request.status.label} · due {request.due_on:%a %d %b %Y}{late}"


def request_card(
    request: InformationRequest,
    *,
    zone: ZoneInfo,
    today: date,
    heading: str | None = None,
    buttons: bool = True,
    viewer: Viewer = "everyone",
) -> Json:
    """One request with its answers, follow-ups and (if present in `request`) internal notes.

    Pass `request.for_audience("provider")` for anything provider staff can see, and `viewer`
    for whose buttons to offer.
    """
    body: list[Json] = []
    if heading:
        body.append(text(heading, subtle=True))
    colour = "Attention" if request.is_overdue(today) else None
    body.append(title(f"{request.ref}: {_short(request.text, 60)}"))
    body.append(text(_status_line(request, today), color=colour))
    body.append(text(request.text))
    pairs = [
        ("Asked by", request.asked_by.name),
        ("Asked", _local(request.asked_at, zone)),
        ("For", request.assignee.name if request.assignee else "not named yet"),
    ]
    if request.child_refs:
        pairs.append(("Case reference", ", ".join(request.child_refs)))
    if request.theme:
        pairs.append(("Theme", request.theme))
    if request.priority.value != "normal":
        pairs.append(("Priority", request.priority.value))
    body.append(facts(pairs))
    for answer in request.answers:
        kind = "Answer" if answer.complete else "Partial answer"
        body.append(
            text(
                f"{kind} from {answer.answered_by.name}, {_local(answer.answered_at, zone)}",
                subtle=True,
            )
        )
        if answer.text:
            body.append(text(answer.text))
        for file in answer.files:
            # 9.7: a file named after a child is shown without the name.
            shown = file.display_name
            body.append(text(f"[{shown}]({file.web_url})" if file.web_url else shown))
    for follow in request.follow_ups:
        body.append(
            text(
                f"Follow-up from {follow.asked_by.name}, {_local(follow.asked_at, zone)} "
                f"(due {follow.due_on:%a %d %b}): {follow.text}",
            )
        )
    if request.notes:
        body.append(text("Inspectors only", color="Warning"))
        for note in request.notes:
            body.append(
                text(
                    f"{note.author.name}, {_local(note.written_at, zone)}: {note.text}", subtle=True
                )
            )
    actions: list[Json] = []
    if buttons:
        data: dict[str, Any] = {"request": request.ref, "version": request.version}
        inspectors = viewer in ("inspector", "everyone")
        if request.waiting and viewer in ("provider", "everyone"):
            actions.append(submit("Mark answered", ANSWERED_ACTION, **data))
        live = (RequestStatus.ANSWERED, RequestStatus.OPEN, RequestStatus.FOLLOW_UP)
        if request.status in live and inspectors:
            actions.append(submit("Close", CLOSE_ACTION, **data))
        if request.status == RequestStatus.ANSWERED and viewer == "inspector":
            actions.append(follow_up_action(data))
        if request.status in live and viewer == "inspector":
            actions.append(submit("Withdraw", WITHDRAW_ACTION, **data))
        actions.append(submit("Refresh", SHOW_ACTION, request=request.ref))
    return card(body, actions or None)


def follow_up_action(data: dict[str, Any]) -> Json:
    """ "Follow up": opens a box for the question (and an optional "due DATE") in the card."""
    return {
        "type": "Action.ShowCard",
        "title": "Follow up",
        "card": {
            "type": "AdaptiveCard",
            "body": [
                {
                    "type": "Input.Text",
                    "id": "question",
                    "label": "What else is needed? (end with 'due DATE' to set the date)",
                    "isMultiline": True,
                    "isRequired": True,
                    "maxLength": 2000,
                    "errorMessage": "Write the follow-up question.",
                }
            ],
            "actions": [submit("Send follow-up", FOLLOW_UP_ACTION, **data)],
        },
    }


def list_card(
    heading: str, requests: Sequence[InformationRequest], *, today: date, empty: str
) -> Json:
    body: list[Json] = [title(heading)]
    if not requests:
        body.append(text(empty, subtle=True))
    body.extend(_request_lines(requests[:MAX_LIST], today))
    if len(requests) > MAX_LIST:
        body.append(
            text(
                f"…and {len(requests) - MAX_LIST} more. `export` gives the whole list as Excel.",
                subtle=True,
            )
        )
    return card(body)


def _request_lines(requests: Sequence[InformationRequest], today: date) -> list[Json]:
    """Each request of a list: its number and status (red when overdue), then its words."""
    lines: list[Json] = []
    for request in requests:
        lines.append(
            {
                "type": "TextBlock",
                "text": f"**{request.ref}** · {_status_line(request, today)}",
                "wrap": True,
                "color": "Attention" if request.is_overdue(today) else "Default",
                "spacing": "Medium",
            }
        )
        lines.append(text(_short(request.text), subtle=True))
    return lines


def page_card(
    heading: str,
    page: RequestPage,
    *,
    today: date,
    empty: str,
    more: dict[str, Any] | None = None,
) -> Json:
    """A list's first (or next) page, in number order, with how many there are in all and a
    "More" button while pages remain. The button sends `requests_more` with `more` (what the
    handler needs to ask for the same list again, e.g. which list) and `after`, the cursor:
    the handler calls `RequestLog.list_page(inspection, viewer, query, after=after)`."""
    body: list[Json] = [title(heading)]
    if not page.requests:
        body.append(text(empty, subtle=True))
    body.extend(_request_lines(page.requests, today))
    if page.requests:
        first, last = page.requests[0].ref, page.requests[-1].ref
        body.append(text(f"{first} to {last} of {page.total} in all.", subtle=True))
    actions: list[Json] = []
    if page.next_after is not None:
        actions.append(submit("More", MORE_ACTION, after=page.next_after, **(more or {})))
    return card(body, actions or None)


def confirm_card(
    check: Precheck,
    data: dict[str, Any],
    *,
    action: str = LOG_CONFIRMED_ACTION,
    label: str = "Log anyway",
    heading: str = "Check before I log this",
) -> Json:
    """Nothing is saved yet: show why, and offer "Log anyway" (the same data, confirmed)."""
    body: list[Json] = [title(heading), text(check.message())]
    for finding in check.findings:
        body.append(text(f"• {finding.hint}: {finding.suggestion}", subtle=True))
    for similar in check.similar[:3]:
        body.append(
            text(f"• {similar.ref} ({similar.status.label}): {_short(similar.text)}", subtle=True)
        )
    actions = [
        submit(label, action, **data),
        submit("Cancel", LOG_CANCELLED_ACTION),
    ]
    return card(body, actions)
