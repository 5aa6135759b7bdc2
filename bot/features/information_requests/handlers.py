"""Information requests in Teams (7.3): log, list, show, answer, close, follow up, export.

    request [urgent:] TEXT [for CR-104233] [due DATE]                inspectors
    requests [open|overdue|answered|all|due today|due this week|mine|for CR-104233]
    show IR-004
    IR-004 is answered[, see the attached]    (or "IR-004 is partly answered ...")
    answer [IR-004] / I've answered a request / files sent alone
                                                without the response text or the request: the
                                                answer dialog asks for what is missing
                                                (dialogs.py)
    close IR-004 / accept IR-004                inspectors
    follow up IR-004 QUESTION [due DATE]        inspectors
    withdraw IR-004 [reason]                    inspectors
    reassign IR-004 to @person | director | link officer
    change due IR-004 DATE because REASON
    note IR-004 TEXT                            inspectors, personal chat only
    export requests (also `export`)             the Excel log in the channel's Files
    factual accuracy grid                       Appendix 4 grid in the channel's Files
    message action "Log as information request" (commandId log_message_as_request)

The inspectors' operations are in `inspector_commands.py`, the Excel files in `exports.py`.
Role rules live in the domain (inspection/requests.py); the router's roles only keep the
help honest. In a channel everybody sees the card, so cards there never carry inspectors-only
notes (9.7): only a personal chat with an inspector does (views.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from bot.features.information_requests.answers import (
    file_attachments,
    record_answer,
    start_answer_dialog,
)
from bot.features.information_requests.cards import (
    ANSWER_CONFIRMED_ACTION,
    ANSWERED_ACTION,
    LOG_CANCELLED_ACTION,
    LOG_CONFIRMED_ACTION,
    MORE_ACTION,
    SHOW_ACTION,
    confirm_card,
    list_card,
    page_card,
    request_card,
)
from bot.features.information_requests.dialogs import ANSWER_DIALOG_ACTION
from bot.features.information_requests.parsing import (
    ANSWERED,
    I_ANSWERED,
    LEADING_REF,
    PRIORITY,
    list_words,
    parse_due,
    query_for,
    ref_of,
    source_of,
)
from bot.features.information_requests.views import card_for, person
from bot.features.routing import router_of
from bot.router import InvalidCardData, Reply, Routes, Turn
from bot.services import Services
from inspection.errors import InspectionError
from inspection.model import INSPECTOR_ROLES, PROVIDER_ROLES
from inspection.notifier import OutgoingMessage, Recipient
from inspection.requests import (
    MessageSource,
    NeedsConfirmation,
    Priority,
)

ANSWERERS = PROVIDER_ROLES | INSPECTOR_ROLES
# The message action's command id (appPackage/manifest.json).
LOG_MESSAGE_ACTION = "log_message_as_request"

routes = Routes()


# --- logging -------------------------------------------------------------------------------------
async def log_request(
    turn: Turn,
    services: Services,
    text: str,
    due_on: date | None,
    source: MessageSource | None,
    *,
    priority: Priority = Priority.NORMAL,
    confirm: bool = False,
) -> Reply:
    """Log a request; when the log asks for confirmation (9.7, a similar request), nothing
    is logged and a card offers "Log anyway" with the same data."""
    inspection = turn.require_inspection()
    service = services.requests
    try:
        logged = await service.log(
            turn.inspection_id,
            person(turn),
            text,
            due_on=due_on,
            source=source,
            priority=priority,
            confirm=confirm,
        )
    except NeedsConfirmation as needs:
        data: dict[str, Any] = {
            "text": text,
            "due": due_on.isoformat() if due_on else "",
            "priority": priority.value,
        }
        if source is not None:
            data.update(
                message_id=source.message_id,
                message_url=source.web_url or "",
                message_author_id=source.author.aad_object_id if source.author else "",
                message_author_name=source.author.display_name if source.author else "",
            )
        return Reply(text=f"Not logged yet. {needs}", card=confirm_card(needs.check, data))
    who = logged.assignee.name if logged.assignee else "the link officer (not named yet)"
    summary = f"Logged {logged.ref} for {who}, due {logged.due_on:%a %d %b %Y}."
    reply = Reply(text=summary, card=card_for(turn, services, logged))
    if turn.kind != "channel":
        # Logged from a chat: the channel still gets the request (7.3: one list for all).
        provider_view = logged.for_audience("provider")
        await services.notifier.send(
            OutgoingMessage(
                Recipient.channel(turn.inspection_id),
                f"New information request {logged.ref} for {who}.",
                request_card(
                    provider_view,
                    zone=service.framework_of(inspection).zone,
                    today=service.today(inspection),
                ),
            )
        )
    return reply


@routes.command(
    "request",
    roles=INSPECTOR_ROLES,
    help="Log an information request (7.3); use case references, never names (9.7)",
    usage="request [urgent:] TEXT [for CR-104233] [due DATE]",
    aliases=("log request", "new request"),
)
async def log_by_command(turn: Turn, services: Services) -> Reply:
    if not turn.args.strip():
        return Reply(
            text="Say what you need, e.g. `request supervision notes for CR-104233 due "
            "Friday`. Use the child's case reference, never a name (9.7)."
        )
    args = turn.args.strip()
    priority = Priority.NORMAL
    # "request urgent: ..." / "request high priority ..." (the rest is the request).
    marked = PRIORITY.match(args)
    if marked:
        priority = Priority(marked["level"].lower().replace(" priority", ""))
        args = args[marked.end() :]
    parsed = parse_due(turn, services, args)
    return await log_request(turn, services, parsed.text, parsed.due_on, None, priority=priority)


@routes.action(LOG_MESSAGE_ACTION, roles=INSPECTOR_ROLES)
async def log_by_message_action(turn: Turn, services: Services) -> Reply:
    text = (turn.data or {}).get("message_text")
    if not isinstance(text, str) or not text.strip():
        raise InspectionError(
            "That message has no text I can log (a picture or a card?); type the request "
            "with `request ...` instead"
        )
    source = source_of(turn.data or {})  # a message too long is refused by the log itself
    return await log_request(turn, services, text, None, source)


@routes.action(LOG_CONFIRMED_ACTION, roles=INSPECTOR_ROLES)
async def log_confirmed(turn: Turn, services: Services) -> Reply:
    text = turn.data_str("text", max_length=4000)
    due_text = (turn.data or {}).get("due") or ""
    try:
        due_on = date.fromisoformat(due_text) if due_text else None
    except (TypeError, ValueError):
        raise InspectionError(
            "That button's due date is not valid; log the request again"
        ) from None
    source = source_of(turn.data or {}) if (turn.data or {}).get("message_id") else None
    try:
        priority = Priority(str((turn.data or {}).get("priority") or "normal"))
    except ValueError:
        raise InvalidCardData("priority") from None
    reply = await log_request(turn, services, text, due_on, source, priority=priority, confirm=True)
    return Reply(text=reply.text, card=reply.card, update=True)


@routes.action(LOG_CANCELLED_ACTION)
async def log_cancelled(turn: Turn, services: Services) -> Reply:
    return Reply(text="Nothing was saved. Edit the text and send it again.", update=True)


# --- reading -------------------------------------------------------------------------------------
@routes.command(
    "requests",
    needs_inspection=True,
    help="List information requests",
    usage="requests [open|overdue|answered|all|due today|due this week|mine|for CR-104233]",
    aliases=("information requests", "list requests"),
)
async def list_requests(turn: Turn, services: Services) -> Reply:
    inspection = turn.require_inspection()
    service = services.requests
    today = service.today(inspection)
    words = " ".join(turn.args.lower().split())
    query, heading, empty = query_for(words, today, turn)
    if words.startswith("overdue"):
        # Overdue is judged per request in the inspection's time zone, after the query; the
        # overdue ones are few.
        found = await service.list_for(inspection, person(turn), query)
        found = [r for r in found if r.is_overdue(today)]
        text = f"{len(found)} {heading.lower()} for {inspection.service_name}."
        return Reply(text=text, card=list_card(heading, found, today=today, empty=empty))
    # A page at a time, counted by the database; each request's own fields only.
    page = await service.list_page(inspection, person(turn), query)
    text = f"{page.total} {heading.lower()} for {inspection.service_name}."
    more = {"list": words, "inspection_id": inspection.stored_id}
    return Reply(text=text, card=page_card(heading, page, today=today, empty=empty, more=more))


@routes.action(MORE_ACTION, needs_inspection=True)
async def more_requests(turn: Turn, services: Services) -> Reply:
    """The "More" button of a list: the next page of the same list, as a new card."""
    inspection = turn.require_inspection()
    if turn.data_int("inspection_id") != inspection.id:
        raise InvalidCardData("inspection_id")
    words = (turn.data or {}).get("list", "")
    if not isinstance(words, str) or len(words) > 200 or words.startswith("overdue"):
        raise InvalidCardData("list")
    service = services.requests
    today = service.today(inspection)
    query, heading, empty = query_for(words, today, turn)
    page = await service.list_page(inspection, person(turn), query, after=turn.data_int("after"))
    more = {"list": words, "inspection_id": inspection.stored_id}
    return Reply(
        text=f"More of the {heading.lower()}.",
        card=page_card(heading, page, today=today, empty=empty, more=more),
    )


@routes.command(
    "show",
    needs_inspection=True,
    help="Show one information request with its answers",
    usage="show IR-004",
)
async def show_request(turn: Turn, services: Services) -> Reply:
    # "show overdue" / "show open requests" ask for a list, not one request.
    words = list_words(turn.args)
    if words == "overdue":
        return await router_of(turn).dispatch(replace(turn, text="what's overdue", data=None))
    if words is not None:
        return await list_requests(replace(turn, args=words), services)
    request = await services.requests.get(turn.inspection_id, ref_of(turn.args), person(turn))
    return Reply(card=card_for(turn, services, request))


@routes.action(SHOW_ACTION, needs_inspection=True)
async def show_from_card(turn: Turn, services: Services) -> Reply:
    request = await services.requests.get(
        turn.inspection_id, turn.data_str("request"), person(turn)
    )
    return Reply(card=card_for(turn, services, request), update=True)


# --- answering (answers.py) ----------------------------------------------------------------------
@routes.intent(
    ANSWERED.pattern,
    name="request answered",
    roles=ANSWERERS,
    help="IR-004 is answered, see the attached",
)
async def answered_by_message(turn: Turn, services: Services) -> Reply:
    match = ANSWERED.match(turn.text)
    if match is None:
        raise InspectionError("say which request, e.g. `IR-004 is answered, see the attached`")
    rest = match["rest"].strip()
    if not rest and not file_attachments(turn.attachments):
        # No response text: the answer dialog asks for it (and for files).
        return await start_answer_dialog(
            turn, services, match["ref"], complete=not match["partial"]
        )
    return await record_answer(turn, services, match["ref"], rest, not match["partial"])


@routes.command(
    "answer",
    roles=ANSWERERS,
    help="Answer an information request (attach files to the same message)",
    usage="answer IR-004 ANSWER",
)
async def answer_by_command(turn: Turn, services: Services) -> Reply:
    if not turn.args.strip():
        return await start_answer_dialog(turn, services, None)
    match = LEADING_REF.match(turn.args)
    if match is None:
        raise InspectionError("say which request, e.g. `answer IR-004 the minutes attached`")
    rest = match["rest"].strip()
    if not rest and not file_attachments(turn.attachments):
        return await start_answer_dialog(turn, services, match["ref"])
    return await record_answer(turn, services, match["ref"], rest, True)


@routes.intent(
    I_ANSWERED.pattern,
    name="answered a request",
    roles=ANSWERERS,
    help="I've answered a request (I'll ask which, and for the answer)",
)
async def answered_some_request(turn: Turn, services: Services) -> Reply:
    match = I_ANSWERED.match(turn.text)
    ref = match["ref"] if match else None
    rest = match["rest"].strip() if match and match["rest"] else ""
    if ref is not None and (rest or file_attachments(turn.attachments)):
        # "I've answered IR-004, see the attached": everything is here.
        return await record_answer(turn, services, ref, rest, True)
    return await start_answer_dialog(turn, services, ref)


@routes.files(name="files for a request", roles=ANSWERERS)
async def files_without_a_request(turn: Turn, services: Services) -> Reply:
    # Files with no request named: ask which request they answer.
    return await start_answer_dialog(turn, services, None)


@routes.action(ANSWER_DIALOG_ACTION, roles=ANSWERERS)
async def answer_from_dialog(turn: Turn, services: Services) -> Reply:
    """The dialog's last step: the same recording as the one-line form. The privacy
    check was done (and confirmed) in the dialog; the files are the turn's attachments."""
    if turn.data_int("inspection_id") != turn.inspection_id:
        raise InspectionError(
            "This conversation is about another inspection now, so I didn't record that "
            "answer. Say `answer` to start again."
        )
    complete = (turn.data or {}).get("complete")
    if not isinstance(complete, bool):
        raise InvalidCardData("complete")
    text = (turn.data or {}).get("text") or ""
    if not isinstance(text, str):
        raise InvalidCardData("text")
    return await record_answer(
        turn, services, turn.data_str("request"), text.strip(), complete, confirm=True
    )


@routes.action(ANSWER_CONFIRMED_ACTION, roles=ANSWERERS)
async def answer_confirmed(turn: Turn, services: Services) -> Reply:
    complete = (turn.data or {}).get("complete")
    if not isinstance(complete, bool):
        raise InvalidCardData("complete")
    reply = await record_answer(
        turn, services, turn.data_str("request"), turn.data_str("text", max_length=4000),
        complete, confirm=True,
    )  # fmt: skip
    return Reply(text=reply.text, card=reply.card, update=True)


@routes.action(ANSWERED_ACTION, roles=ANSWERERS)
async def answered_from_card(turn: Turn, services: Services) -> Reply:
    ref = turn.data_str("request")
    answered = await services.requests.answer(
        turn.inspection_id, ref, person(turn), "Marked answered from the card", confirm=True
    )
    return Reply(
        text=f"{answered.ref} marked answered by {turn.user.name or 'you'}.",
        card=card_for(turn, services, answered),
        update=True,
    )
