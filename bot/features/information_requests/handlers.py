"""Information requests in Teams (7.3): log, list, show, answer, close, follow up, export.

    request [urgent:] TEXT [for CR-104233] [due DATE]                inspectors
    requests [open|overdue|answered|all|due today|due this week|mine|for CR-104233]
    show IR-004
    IR-004 is answered[, see the attached]    (or "IR-004 is partly answered ...")
    answer [IR-004] / I've answered a request / files sent alone
                                                without the response text or the request: the
                                                answer dialog asks for what is missing
                                                (dialogs/answer_request.py)
    close IR-004 / accept IR-004                inspectors
    follow up IR-004 QUESTION [due DATE]        inspectors
    withdraw IR-004 [reason]                    inspectors
    reassign IR-004 to @person | director | link officer
    change due IR-004 DATE because REASON
    note IR-004 TEXT                            inspectors, personal chat only
    export requests (also `export`)             the Excel log in the channel's Files
    factual accuracy grid                       Appendix 4 grid in the channel's Files
    message action "Log as information request" (commandId log_message_as_request)

Role rules live in the domain (inspection/requests.py); the router's roles only keep the
help honest. In a channel everybody sees the card, so cards there never carry inspectors-only
notes (issue 5): only a personal chat with an inspector does.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import aiohttp

from bot.features.information_requests.cards import Viewer, confirm_card, list_card, request_card
from bot.router import Attachment, DialogStart, InvalidCardData, Reply, Router, Turn
from bot.services import Services
from inspection.dates import parse_date
from inspection.directory import INFORMATION_REQUESTS_FOLDER, clean_name
from inspection.errors import InspectionError
from inspection.inspections import timeline_for
from inspection.model import INSPECTOR_ROLES, PROVIDER_ROLES, Inspection, Role
from inspection.notifier import OutgoingMessage, Recipient
from inspection.privacy import check_text
from inspection.request_export import (
    LOG_FILE_NAME,
    XLSX_TYPE,
    publish_factual_accuracy_grid,
    to_xlsx,
)
from inspection.requests import (
    WAITING_STATUSES,
    Audience,
    InformationRequest,
    LinkedFile,
    MessageSource,
    NeedsConfirmation,
    Person,
    Precheck,
    Priority,
    RequestLog,
    RequestQuery,
    RequestStatus,
    StaleRequest,
    format_ref,
    parse_ref,
)

log = logging.getLogger("bot.features.information_requests.handlers")

MEMBERS = frozenset(Role)
ANSWERERS = PROVIDER_ROLES | INSPECTOR_ROLES
MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024
# The answer dialog (dialogs/answer_request.py) and the hidden action its last step runs.
ANSWER_DIALOG = "answer_request"
ANSWER_DIALOG_ACTION = "request_answer_dialog"
_REF = r"IR[\s\-_]?\d{1,6}"
_ANSWERED = re.compile(
    rf"^\s*(?P<ref>{_REF})\s+(?:(?:is|has\s+been|was|now)\s+)?(?P<partial>partly\s+|partially\s+)?"
    r"answered\b[\s,.;:\-]*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
# "I've answered a request" / "we have responded to IR-004, see the attached"
_I_ANSWERED = re.compile(
    r"^\s*(?:I\s*(?:'|’)?ve|I\s+have|I|we\s*(?:'|’)?ve|we\s+have|we)\s+(?:just\s+|now\s+)?"
    r"(?:answered|responded\s+to)\s+(?:(?:a|an|the|one|another)\s+(?:information\s+)?request\b"
    rf"|(?P<ref>{_REF})\b[\s,.;:\-]*(?P<rest>.*))",
    re.IGNORECASE | re.DOTALL,
)
_LEADING_REF = re.compile(
    rf"^\s*(?P<ref>{_REF}|#?\d{{1,6}})\b[\s,.;:\-]*(?P<rest>.*)$", re.I | re.S
)
_PRIORITY = re.compile(r"^(?P<level>urgent|high priority|low priority)\s*[:\-]?\s+", re.IGNORECASE)
# Teams attachments that are files (personal chat uploads, channel file references).
_FILE_TYPES = ("application/vnd.microsoft.teams.file.download.info", "reference")


@dataclass(frozen=True)
class _Parsed:
    text: str
    due_on: date | None


def register(router: Router[Any], services: Services) -> None:
    def requests() -> RequestLog:
        service = services.requests
        if service is None:
            raise InspectionError("the information request log is not available yet")
        assert isinstance(service, RequestLog)
        return service

    def person(turn: Turn) -> Person:
        return Person(turn.user.aad_object_id or "", turn.user.name)

    def audience(turn: Turn) -> Audience:
        # A channel or group chat is seen by provider staff too.
        return (
            "inspectors" if turn.kind == "personal" and turn.role in INSPECTOR_ROLES else "provider"
        )

    def card_for(
        turn: Turn, request: InformationRequest, heading: str | None = None
    ) -> dict[str, Any]:
        inspection = turn.require_inspection()
        return request_card(
            request.for_audience(audience(turn)),
            zone=requests().framework_of(inspection).zone,
            today=requests().today(inspection),
            heading=heading,
            viewer=viewer(turn),
        )

    def viewer(turn: Turn) -> Viewer:
        # Only a personal chat has one known reader; a channel's card is for everyone in it.
        if turn.kind != "personal":
            return "everyone"
        if turn.role in INSPECTOR_ROLES:
            return "inspector"
        return "provider" if turn.role in PROVIDER_ROLES else "observer"

    def parse_due(turn: Turn, text: str) -> _Parsed:
        """A trailing "due <date>" (only when what follows really is a date)."""
        inspection = turn.require_inspection()
        lowered = text.lower()
        at = lowered.rfind(" due ")
        if at < 0:
            return _Parsed(text, None)
        tail = text[at + 5 :].strip().rstrip(".")
        try:
            due = parse_date(
                tail,
                today=requests().today(inspection),
                calendar=requests().calendar_of(inspection),
            )
        except InspectionError:
            return _Parsed(text, None)
        return _Parsed(text[:at].rstrip(" ,;"), due)

    async def log_request(
        turn: Turn,
        text: str,
        due_on: date | None,
        source: MessageSource | None,
        *,
        priority: Priority = Priority.NORMAL,
        confirm: bool = False,
    ) -> Reply:
        inspection = turn.require_inspection()
        try:
            logged = await requests().log(
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
        reply = Reply(text=summary, card=card_for(turn, logged))
        if turn.kind != "channel" and services.notifier is not None:
            # Logged from a chat: the channel still gets the request (7.3: one list for all).
            provider_view = logged.for_audience("provider")
            await services.notifier.send(
                OutgoingMessage(
                    Recipient.channel(turn.inspection_id),
                    f"New information request {logged.ref} for {who}.",
                    request_card(
                        provider_view,
                        zone=requests().framework_of(inspection).zone,
                        today=requests().today(inspection),
                    ),
                )
            )
        return reply

    # --- logging -----------------------------------------------------------------------------
    @router.command(
        "request",
        roles=INSPECTOR_ROLES,
        help="Log an information request (7.3); use case references, never names (9.7)",
        usage="request [urgent:] TEXT [for CR-104233] [due DATE]",
        aliases=("log request", "new request"),
    )
    async def log_by_command(turn: Turn) -> Reply:
        if not turn.args.strip():
            return Reply(
                text="Say what you need, e.g. `request supervision notes for CR-104233 due "
                "Friday`. Use the child's case reference, never a name (9.7)."
            )
        args = turn.args.strip()
        priority = Priority.NORMAL
        # "request urgent: ..." / "request high priority ..." (the rest is the request).
        marked = _PRIORITY.match(args)
        if marked:
            priority = Priority(marked["level"].lower().replace(" priority", ""))
            args = args[marked.end() :]
        parsed = parse_due(turn, args)
        return await log_request(turn, parsed.text, parsed.due_on, None, priority=priority)

    @router.action("log_message_as_request", roles=INSPECTOR_ROLES)
    async def log_by_message_action(turn: Turn) -> Reply:
        text = (turn.data or {}).get("message_text")
        if not isinstance(text, str) or not text.strip():
            raise InspectionError(
                "That message has no text I can log (a picture or a card?); type the request "
                "with `request ...` instead"
            )
        source = _source(turn.data or {})  # a message too long is refused by the log itself
        return await log_request(turn, text, None, source)

    @router.action("request_log_confirmed", roles=INSPECTOR_ROLES)
    async def log_confirmed(turn: Turn) -> Reply:
        text = turn.data_str("text", max_length=4000)
        due_text = (turn.data or {}).get("due") or ""
        try:
            due_on = date.fromisoformat(due_text) if due_text else None
        except (TypeError, ValueError):
            raise InspectionError(
                "That button's due date is not valid; log the request again"
            ) from None
        source = _source(turn.data or {}) if (turn.data or {}).get("message_id") else None
        try:
            priority = Priority(str((turn.data or {}).get("priority") or "normal"))
        except ValueError:
            raise InvalidCardData("priority") from None
        reply = await log_request(turn, text, due_on, source, priority=priority, confirm=True)
        return Reply(text=reply.text, card=reply.card, update=True)

    @router.action("request_log_cancelled")
    async def log_cancelled(turn: Turn) -> Reply:
        return Reply(text="Nothing was saved. Edit the text and send it again.", update=True)

    # --- reading -----------------------------------------------------------------------------
    @router.command(
        "requests",
        needs_inspection=True,
        help="List information requests",
        usage="requests [open|overdue|answered|all|due today|due this week|mine|for CR-104233]",
        aliases=("information requests", "list requests"),
    )
    async def list_requests(turn: Turn) -> Reply:
        inspection = turn.require_inspection()
        service = requests()
        today = service.today(inspection)
        words = " ".join(turn.args.lower().split())
        query, heading, empty = _query_for(words, today, turn, service, inspection)
        # A list shows each request's own fields: loaded without answers or history (issue 7).
        found = await service.list_for(inspection, person(turn), query)
        if words.startswith("overdue"):
            found = [r for r in found if r.is_overdue(today)]
        text = f"{len(found)} {heading.lower()} for {inspection.service_name}."
        return Reply(text=text, card=list_card(heading, found, today=today, empty=empty))

    @router.command(
        "show",
        needs_inspection=True,
        help="Show one information request with its answers",
        usage="show IR-004",
    )
    async def show_request(turn: Turn) -> Reply:
        # "show overdue" / "show open requests" ask for a list, not one request.
        words = list_words(turn.args)
        if words == "overdue":
            return await router.dispatch(replace(turn, text="what's overdue", data=None))
        if words is not None:
            return await list_requests(replace(turn, args=words))
        request = await requests().get(turn.inspection_id, _ref(turn.args), person(turn))
        return Reply(card=card_for(turn, request))

    @router.action("request_show", needs_inspection=True)
    async def show_from_card(turn: Turn) -> Reply:
        request = await requests().get(turn.inspection_id, turn.data_str("request"), person(turn))
        return Reply(card=card_for(turn, request), update=True)

    # --- answering ---------------------------------------------------------------------------
    async def answer(
        turn: Turn, ref: str, text: str, complete: bool, *, confirm: bool = False
    ) -> Reply:
        service = requests()
        inspection = turn.require_inspection()
        current = await service.get(turn.inspection_id, ref, person(turn))
        findings = check_text(text) if text and not confirm else []
        if findings:
            # Checked before any file is copied: nothing is recorded until the person decides.
            check = Precheck(tuple(findings))
            if turn.attachments:
                return Reply(
                    text=f"Not recorded yet. {check.message().split(' Edit the text')[0]} "
                    "Edit your message and send it again with the attachment."
                )
            data = {"request": current.ref, "text": text, "complete": complete}
            return Reply(
                text="Not recorded yet. " + check.message(),
                card=confirm_card(check, data, action="request_answer_confirmed",
                                  label="Record anyway"),
            )  # fmt: skip
        files, problems = await _files(services, inspection, current.ref, turn.attachments)
        answered = await service.answer(
            turn.inspection_id, ref, person(turn), text, files=files, complete=complete,
            confirm=True,
        )  # fmt: skip
        what = "Recorded an answer to" if complete else "Recorded a partial answer to"
        attached = f" with {len(files)} file(s)" if files else ""
        summary = f"{what} {answered.ref}{attached}. It is now {answered.status.label}."
        if problems:
            summary += " " + " ".join(problems)
        return Reply(text=summary, card=card_for(turn, answered))

    @router.intent(
        _ANSWERED.pattern,
        name="request answered",
        roles=ANSWERERS,
        help="IR-004 is answered, see the attached",
    )
    async def answered_by_message(turn: Turn) -> Reply:
        match = _ANSWERED.match(turn.text)
        if match is None:
            raise InspectionError("say which request, e.g. `IR-004 is answered, see the attached`")
        rest = match["rest"].strip()
        if not rest and not file_attachments(turn.attachments):
            # No response text: the answer dialog asks for it (and for files).
            return await start_answer_dialog(turn, match["ref"], complete=not match["partial"])
        return await answer(turn, match["ref"], rest, not match["partial"])

    @router.command(
        "answer",
        roles=ANSWERERS,
        help="Answer an information request (attach files to the same message)",
        usage="answer IR-004 ANSWER",
    )
    async def answer_by_command(turn: Turn) -> Reply:
        if not turn.args.strip():
            return await start_answer_dialog(turn, None)
        match = _LEADING_REF.match(turn.args)
        if match is None:
            raise InspectionError("say which request, e.g. `answer IR-004 the minutes attached`")
        rest = match["rest"].strip()
        if not rest and not file_attachments(turn.attachments):
            return await start_answer_dialog(turn, match["ref"])
        return await answer(turn, match["ref"], rest, True)

    # --- the answer dialog (dialogs/answer_request.py) ---------------------------------------
    async def start_answer_dialog(turn: Turn, ref: str | None, *, complete: bool = True) -> Reply:
        """Ask for what is missing (which request, the response text, files) in a dialog."""
        if ref is not None:
            current = await requests().get(turn.inspection_id, ref, person(turn))
            if current.status in (RequestStatus.ACCEPTED, RequestStatus.WITHDRAWN):
                raise InspectionError(
                    f"{current.ref} is {current.status.label}; it needs no answer. "
                    "Type `requests` to see the open ones."
                )
            ref = current.ref
        files = [_attachment_data(a) for a in file_attachments(turn.attachments)]
        example = ref or "IR-004"
        return Reply(
            dialog=DialogStart(
                ANSWER_DIALOG,
                {"inspection_id": turn.inspection_id, "ref": ref, "complete": complete,
                 "files": files},
                instead=f"Tell me in one message, e.g. `{example} is answered, see the attached` "
                "with the file(s) attached.",
            )
        )  # fmt: skip

    @router.intent(
        _I_ANSWERED.pattern,
        name="answered a request",
        roles=ANSWERERS,
        help="I've answered a request (I'll ask which, and for the answer)",
    )
    async def answered_some_request(turn: Turn) -> Reply:
        match = _I_ANSWERED.match(turn.text)
        ref = match["ref"] if match else None
        rest = match["rest"].strip() if match and match["rest"] else ""
        if ref is not None and (rest or file_attachments(turn.attachments)):
            # "I've answered IR-004, see the attached": everything is here.
            return await answer(turn, ref, rest, True)
        return await start_answer_dialog(turn, ref)

    @router.files(name="files for a request", roles=ANSWERERS)
    async def files_without_a_request(turn: Turn) -> Reply:
        # Files with no request named: ask which request they answer.
        return await start_answer_dialog(turn, None)

    @router.action(ANSWER_DIALOG_ACTION, roles=ANSWERERS)
    async def answer_from_dialog(turn: Turn) -> Reply:
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
        return await answer(turn, turn.data_str("request"), text.strip(), complete, confirm=True)

    @router.action("request_answer_confirmed", roles=ANSWERERS)
    async def answer_confirmed(turn: Turn) -> Reply:
        complete = (turn.data or {}).get("complete")
        if not isinstance(complete, bool):
            raise InvalidCardData("complete")
        reply = await answer(
            turn, turn.data_str("request"), turn.data_str("text", max_length=4000), complete,
            confirm=True,
        )  # fmt: skip
        return Reply(text=reply.text, card=reply.card, update=True)

    @router.action("request_answered", roles=ANSWERERS)
    async def answered_from_card(turn: Turn) -> Reply:
        ref = turn.data_str("request")
        answered = await requests().answer(
            turn.inspection_id, ref, person(turn), "Marked answered from the card", confirm=True
        )
        return Reply(
            text=f"{answered.ref} marked answered by {turn.user.name or 'you'}.",
            card=card_for(turn, answered),
            update=True,
        )

    # --- inspectors' operations --------------------------------------------------------------
    @router.command(
        "close",
        roles=INSPECTOR_ROLES,
        help="Accept the answer and close an information request",
        usage="close IR-007",
        aliases=("accept",),
    )
    async def close_request(turn: Turn) -> Reply:
        accepted = await requests().accept(turn.inspection_id, _ref(turn.args), person(turn))
        return Reply(text=f"{accepted.ref} is accepted and closed.", card=card_for(turn, accepted))

    async def change_from_card(
        turn: Turn, change: Callable[..., Awaitable[InformationRequest]], done: str
    ) -> Reply:
        """A card button's change, made only if the card still shows the request's current
        version; the card is updated in place either way."""
        try:
            changed = await change(
                turn.inspection_id, turn.data_str("request"), person(turn),
                expected_version=turn.data_int("version"),
            )  # fmt: skip
        except StaleRequest as stale:
            # Someone changed it since this card was posted: say so and show it as it is now.
            return Reply(text=str(stale), card=card_for(turn, stale.current), update=True)
        return Reply(text=f"{changed.ref} {done}.", card=card_for(turn, changed), update=True)

    @router.action("request_close", roles=INSPECTOR_ROLES)
    async def close_from_card(turn: Turn) -> Reply:
        return await change_from_card(turn, requests().accept, "is accepted and closed")

    @router.command(
        "follow up",
        roles=INSPECTOR_ROLES,
        help="Ask a follow-up on an answered request (re-opens it with a new due date)",
        usage="follow up IR-004 QUESTION [due DATE]",
        aliases=("follow-up", "followup"),
    )
    async def follow_up(turn: Turn) -> Reply:
        match = _LEADING_REF.match(turn.args)
        if match is None or not match["rest"].strip():
            raise InspectionError("say which request and what else is needed, e.g. "
                                  "`follow up IR-004 please add the January session`")  # fmt: skip
        parsed = parse_due(turn, match["rest"].strip())
        try:
            followed = await requests().follow_up(
                turn.inspection_id, match["ref"], person(turn), parsed.text, due_on=parsed.due_on
            )
        except NeedsConfirmation as needs:
            return Reply(text=f"Not sent yet. {needs} Edit the follow-up and send it again.")
        return Reply(
            text=f"Follow-up on {followed.ref} sent; due {followed.due_on:%a %d %b %Y}.",
            card=card_for(turn, followed),
        )

    @router.action("request_withdraw", roles=INSPECTOR_ROLES)
    async def withdraw_from_card(turn: Turn) -> Reply:
        return await change_from_card(turn, requests().withdraw, "is withdrawn")

    @router.action("request_follow_up", roles=INSPECTOR_ROLES)
    async def follow_up_from_card(turn: Turn) -> Reply:
        parsed = parse_due(turn, turn.data_str("question", max_length=2000))
        try:
            followed = await requests().follow_up(
                turn.inspection_id, turn.data_str("request"), person(turn), parsed.text,
                due_on=parsed.due_on, expected_version=turn.data_int("version"),
            )  # fmt: skip
        except StaleRequest as stale:
            return Reply(text=str(stale), card=card_for(turn, stale.current), update=True)
        except NeedsConfirmation as needs:
            return Reply(text=f"Not sent yet. {needs} Edit the follow-up and send it again.")
        return Reply(
            text=f"Follow-up on {followed.ref} sent; due {followed.due_on:%a %d %b %Y}.",
            card=card_for(turn, followed),
            update=True,
        )

    @router.command(
        "withdraw",
        roles=INSPECTOR_ROLES,
        help="Withdraw an information request that is no longer needed",
        usage="withdraw IR-004 [reason]",
    )
    async def withdraw(turn: Turn) -> Reply:
        match = _LEADING_REF.match(turn.args)
        if match is None:
            raise InspectionError("say which request, e.g. `withdraw IR-004 seen on site`")
        withdrawn = await requests().withdraw(
            turn.inspection_id, match["ref"], person(turn), reason=match["rest"].strip()
        )
        return Reply(text=f"{withdrawn.ref} is withdrawn.", card=card_for(turn, withdrawn))

    @router.command(
        "reassign",
        roles=INSPECTOR_ROLES,
        help="Make an information request for someone else in the inspection",
        usage="reassign IR-004 to @person | director | link officer",
    )
    async def reassign(turn: Turn) -> Reply:
        match = re.match(rf"^\s*(?P<ref>{_REF}|#?\d+)\s+to\s+(?P<who>.+)$", turn.args, re.I)
        if match is None:
            raise InspectionError("say which request and who, e.g. `reassign IR-004 to director`")
        inspection = turn.require_inspection()
        target = await _member_id(turn, inspection, match["who"])
        moved = await requests().reassign(turn.inspection_id, match["ref"], person(turn), target)
        who = moved.assignee.name if moved.assignee else "them"
        return Reply(text=f"{moved.ref} is now for {who}.", card=card_for(turn, moved))

    @router.command(
        "change due",
        roles=INSPECTOR_ROLES,
        help="Move an information request's due date (the reason is kept)",
        usage="change due IR-004 DATE because REASON",
    )
    async def change_due(turn: Turn) -> Reply:
        match = re.match(
            rf"^\s*(?P<ref>{_REF}|#?\d+)\s+(?:to\s+)?(?P<when>.+?)\s+because\s+(?P<why>.+)$",
            turn.args, re.I | re.S,
        )  # fmt: skip
        if match is None:
            raise InspectionError(
                "say which request, the new date and why, e.g. "
                "`change due IR-004 Friday because the records are archived`"
            )
        inspection = turn.require_inspection()
        service = requests()
        when = parse_date(
            match["when"], today=service.today(inspection), calendar=service.calendar_of(inspection)
        )
        moved = await service.change_due(
            turn.inspection_id, match["ref"], person(turn), when, match["why"].strip()
        )
        return Reply(text=f"{moved.ref} is now due {moved.due_on:%a %d %b %Y}.",
                     card=card_for(turn, moved))  # fmt: skip

    @router.command(
        "note",
        roles=INSPECTOR_ROLES,
        help="Add an inspectors-only note to a request (in a personal chat with me)",
        usage="note IR-004 TEXT",
    )
    async def add_note(turn: Turn) -> Reply:
        if turn.kind != "personal":
            # The channel is shared with provider staff: a note typed there is not internal.
            words = turn.args.split()
            ref = words[0].upper() if words and re.fullmatch(_REF, words[0], re.I) else "IR-004"
            return Reply(
                text="Notes are for inspectors only, and this conversation includes other people. "
                f"Send `note {ref} ...` to me in a personal chat instead."
            )
        match = _LEADING_REF.match(turn.args)
        if match is None or not match["rest"].strip():
            raise InspectionError("say which request and the note, e.g. `note IR-004 chase gently`")
        noted = await requests().add_note(
            turn.inspection_id, match["ref"], person(turn), match["rest"].strip()
        )
        return Reply(
            text=f"Note added to {noted.ref} (inspectors only).", card=card_for(turn, noted)
        )

    # --- files -------------------------------------------------------------------------------
    async def export_log(turn: Turn) -> Reply:
        inspection = turn.require_inspection()
        service = requests()
        everything = await service.all_requests(turn.inspection_id, "provider")
        if services.directory is None or inspection.channel is None:
            return Reply(
                text=f"{len(everything)} request(s) logged. I can't put the Excel file in the "
                "channel's Files here (Microsoft Graph is not set up); an administrator can run "
                f"`inspection-bot requests export --inspection {turn.inspection_id} --xlsx FILE`."
            )
        content = to_xlsx(
            inspection, everything, audience="provider",
            zone=service.framework_of(inspection).zone, today=service.today(inspection),
        )  # fmt: skip
        uploaded = await services.directory.upload(
            inspection.channel, INFORMATION_REQUESTS_FOLDER, LOG_FILE_NAME, content,
            content_type=XLSX_TYPE,
        )  # fmt: skip
        link = f"[{LOG_FILE_NAME}]({uploaded.web_url})" if uploaded.web_url else LOG_FILE_NAME
        return Reply(
            text=f"The information request log ({len(everything)} request(s)) is in the "
            f'channel\'s "{INFORMATION_REQUESTS_FOLDER}" folder: {link}'
        )

    router.command(
        "export requests",
        roles=MEMBERS,
        help="Put the information request log (Excel) in the channel's Files",
        aliases=("requests export",),
    )(export_log)
    existing = router.match("export")
    if existing is None or existing[0].name != "export":
        router.command(
            "export", roles=MEMBERS, help="The information request log as Excel", hidden=True
        )(export_log)

    @router.command(
        "factual accuracy grid",
        roles=INSPECTOR_ROLES,
        help="Put the factual accuracy grid (Appendix 4) in the channel and remind of its deadline",
        aliases=("grid",),
    )
    async def post_grid(turn: Turn) -> Reply:
        inspection = turn.require_inspection()
        if services.directory is None or inspection.channel is None:
            raise InspectionError(
                "I can't put files in the channel here (Microsoft Graph is not set up); "
                f"run `inspection-bot requests grid --inspection {turn.inspection_id} --xlsx FILE`"
            )
        milestone = timeline_for(inspection, services.frameworks).find("factual_accuracy_due")
        due = milestone.date if milestone else None
        uploaded = await publish_factual_accuracy_grid(
            services.directory, inspection, draft_received=inspection.actuals.get("draft_sent"),
            comments_due=due,
        )  # fmt: skip
        link = f" ({uploaded.web_url})" if uploaded and uploaded.web_url else ""
        deadline = f" by {due:%a %d %b %Y}" if due else ""
        return Reply(
            text=f"The factual accuracy feedback grid (Appendix 4) is in the channel's Files"
            f"{link}. Please record any factual inaccuracies in it and return it{deadline} "
            "(7.4: within 20 working days of receiving the draft report)."
        )


_LIST_WORDS = frozenset(
    {"overdue", "open", "answered", "all", "due today", "due this week", "this week", "mine"}
)


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


def file_attachments(attachments: tuple[Attachment, ...]) -> tuple[Attachment, ...]:
    """The attachments that are files (not Teams' HTML copy of the message, not a card)."""
    return tuple(a for a in attachments if a.content_type in _FILE_TYPES and a.name)


def _attachment_data(attachment: Attachment) -> dict[str, Any]:
    return {
        "name": attachment.name,
        "content_type": attachment.content_type,
        "content_url": attachment.content_url,
        "content": attachment.content if isinstance(attachment.content, dict) else None,
    }


def _ref(text: str) -> str:
    words = text.split()
    if not words:
        raise InspectionError("say which request, e.g. IR-004")
    return format_ref(parse_ref(words[0]))


def _source(data: Any) -> MessageSource:
    message_id = data.get("message_id")
    if not isinstance(message_id, str) or not message_id:
        raise InspectionError("That message could not be read; copy its text into `request ...`")
    author_id = data.get("message_author_id") or ""
    author = (
        Person(str(author_id), str(data.get("message_author_name") or "")) if author_id else None
    )
    url = data.get("message_url")
    return MessageSource(message_id, url if isinstance(url, str) and url else None, author)


def _query_for(
    words: str, today: date, turn: Turn, service: RequestLog, inspection: Inspection
) -> tuple[RequestQuery, str, str]:
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


async def _member_id(turn: Turn, inspection: Inspection, who: str) -> str:
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


async def _files(
    services: Services, inspection: Inspection, ref: str, attachments: tuple[Attachment, ...]
) -> tuple[list[LinkedFile], list[str]]:
    """Files attached to an answer, as links to channel files.

    A file sent in a personal chat lives in the sender's OneDrive, which inspectors may not be
    able to open: it is copied into the channel's "Information requests" folder when the
    Directory is available. A file shared in the channel is linked where it is.
    """
    files: list[LinkedFile] = []
    problems: list[str] = []
    for attachment in attachments:
        if attachment.content_type not in _FILE_TYPES or not attachment.name:
            continue
        content = attachment.content if isinstance(attachment.content, dict) else {}
        unique = content.get("uniqueId") if isinstance(content.get("uniqueId"), str) else None
        if attachment.content_type == "reference" or services.directory is None:
            files.append(LinkedFile(attachment.name, attachment.content_url, unique))
            continue
        # Teams gives a short-lived `downloadUrl` for the bytes and a `contentUrl` for people.
        download = content.get("downloadUrl")
        if inspection.channel is None or not isinstance(download, str) or not download:
            files.append(LinkedFile(attachment.name, attachment.content_url, unique))
            continue
        try:
            data = await _download(download)
            uploaded = await services.directory.upload(
                inspection.channel,
                INFORMATION_REQUESTS_FOLDER,
                clean_name(f"{ref} {attachment.name}"),
                data,
                content_type=str(content.get("fileType") or "application/octet-stream"),
            )
        except (InspectionError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning(
                "answer file not copied", extra={"request": ref, "error": type(exc).__name__}
            )
            problems.append(
                f"I couldn't copy {attachment.name} into the channel's files ({exc}); the link "
                "goes to where you shared it, so check the inspectors can open it."
            )
            files.append(LinkedFile(attachment.name, attachment.content_url, unique))
            continue
        files.append(
            LinkedFile(attachment.name, uploaded.web_url, uploaded.item_id, uploaded.drive_id)
        )
    return files, problems


async def _download(url: str) -> bytes:
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
        if response.status >= 400:
            raise InspectionError(f"the file could not be fetched (HTTP {response.status})")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > MAX_DOWNLOAD_BYTES:
                raise InspectionError("the file is over 50 MB; upload it to the channel instead")
            chunks.append(chunk)
        return b"".join(chunks)
