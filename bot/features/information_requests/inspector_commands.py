"""Inspectors' operations on information requests (7.3): close (accept), follow up, withdraw,
reassign, change the due date, and inspectors-only notes. The card buttons change a request
only if the card still shows its current version."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.features.information_requests.cards import (
    CLOSE_ACTION,
    FOLLOW_UP_ACTION,
    NOTE_CONFIRMED_ACTION,
    WITHDRAW_ACTION,
    confirm_card,
)
from bot.features.information_requests.parsing import (
    LEADING_REF,
    REF,
    member_id,
    parse_due,
    ref_of,
)
from bot.features.information_requests.views import card_for, person
from bot.router import Reply, Routes, Turn
from bot.services import Services
from inspection.dates import parse_date
from inspection.errors import InspectionError
from inspection.model import INSPECTOR_ROLES
from inspection.requests import InformationRequest, NeedsConfirmation, StaleRequest

routes = Routes()


@routes.command(
    "close",
    roles=INSPECTOR_ROLES,
    help="Accept the answer and close an information request",
    usage="close IR-007",
    aliases=("accept",),
)
async def close_request(turn: Turn, services: Services) -> Reply:
    accepted = await services.requests.accept(turn.inspection_id, ref_of(turn.args), person(turn))
    return Reply(
        text=f"{accepted.ref} is accepted and closed.", card=card_for(turn, services, accepted)
    )


async def change_from_card(
    turn: Turn,
    services: Services,
    change: Callable[..., Awaitable[InformationRequest]],
    done: str,
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
        return Reply(text=str(stale), card=card_for(turn, services, stale.current), update=True)
    return Reply(text=f"{changed.ref} {done}.", card=card_for(turn, services, changed), update=True)


@routes.action(CLOSE_ACTION, roles=INSPECTOR_ROLES)
async def close_from_card(turn: Turn, services: Services) -> Reply:
    return await change_from_card(
        turn, services, services.requests.accept, "is accepted and closed"
    )


@routes.command(
    "follow up",
    roles=INSPECTOR_ROLES,
    help="Ask a follow-up on an answered request (re-opens it with a new due date)",
    usage="follow up IR-004 QUESTION [due DATE]",
    aliases=("follow-up", "followup"),
)
async def follow_up(turn: Turn, services: Services) -> Reply:
    match = LEADING_REF.match(turn.args)
    if match is None or not match["rest"].strip():
        raise InspectionError("say which request and what else is needed, e.g. "
                              "`follow up IR-004 please add the January session`")  # fmt: skip
    parsed = parse_due(turn, services, match["rest"].strip())
    try:
        followed = await services.requests.follow_up(
            turn.inspection_id, match["ref"], person(turn), parsed.text, due_on=parsed.due_on
        )
    except NeedsConfirmation as needs:
        return Reply(text=f"Not sent yet. {needs} Edit the follow-up and send it again.")
    return Reply(
        text=f"Follow-up on {followed.ref} sent; due {followed.due_on:%a %d %b %Y}.",
        card=card_for(turn, services, followed),
    )


@routes.action(WITHDRAW_ACTION, roles=INSPECTOR_ROLES)
async def withdraw_from_card(turn: Turn, services: Services) -> Reply:
    return await change_from_card(turn, services, services.requests.withdraw, "is withdrawn")


@routes.action(FOLLOW_UP_ACTION, roles=INSPECTOR_ROLES)
async def follow_up_from_card(turn: Turn, services: Services) -> Reply:
    parsed = parse_due(turn, services, turn.data_str("question", max_length=2000))
    try:
        followed = await services.requests.follow_up(
            turn.inspection_id, turn.data_str("request"), person(turn), parsed.text,
            due_on=parsed.due_on, expected_version=turn.data_int("version"),
        )  # fmt: skip
    except StaleRequest as stale:
        return Reply(text=str(stale), card=card_for(turn, services, stale.current), update=True)
    except NeedsConfirmation as needs:
        return Reply(text=f"Not sent yet. {needs} Edit the follow-up and send it again.")
    return Reply(
        text=f"Follow-up on {followed.ref} sent; due {followed.due_on:%a %d %b %Y}.",
        card=card_for(turn, services, followed),
        update=True,
    )


@routes.command(
    "withdraw",
    roles=INSPECTOR_ROLES,
    help="Withdraw an information request that is no longer needed",
    usage="withdraw IR-004 [reason]",
)
async def withdraw(turn: Turn, services: Services) -> Reply:
    match = LEADING_REF.match(turn.args)
    if match is None:
        raise InspectionError("say which request, e.g. `withdraw IR-004 seen on site`")
    withdrawn = await services.requests.withdraw(
        turn.inspection_id, match["ref"], person(turn), reason=match["rest"].strip()
    )
    return Reply(text=f"{withdrawn.ref} is withdrawn.", card=card_for(turn, services, withdrawn))


@routes.command(
    "reassign",
    roles=INSPECTOR_ROLES,
    help="Make an information request for someone else in the inspection",
    usage="reassign IR-004 to @person | director | link officer",
)
async def reassign(turn: Turn, services: Services) -> Reply:
    match = re.match(rf"^\s*(?P<ref>{REF}|#?\d+)\s+to\s+(?P<who>.+)$", turn.args, re.I)
    if match is None:
        raise InspectionError("say which request and who, e.g. `reassign IR-004 to director`")
    inspection = turn.require_inspection()
    target = await member_id(turn, inspection, match["who"])
    moved = await services.requests.reassign(turn.inspection_id, match["ref"], person(turn), target)
    who = moved.assignee.name if moved.assignee else "them"
    return Reply(text=f"{moved.ref} is now for {who}.", card=card_for(turn, services, moved))


@routes.command(
    "change due",
    roles=INSPECTOR_ROLES,
    help="Move an information request's due date (the reason is kept)",
    usage="change due IR-004 DATE because REASON",
)
async def change_due(turn: Turn, services: Services) -> Reply:
    match = re.match(
        rf"^\s*(?P<ref>{REF}|#?\d+)\s+(?:to\s+)?(?P<when>.+?)\s+because\s+(?P<why>.+)$",
        turn.args, re.I | re.S,
    )  # fmt: skip
    if match is None:
        raise InspectionError(
            "say which request, the new date and why, e.g. "
            "`change due IR-004 Friday because the records are archived`"
        )
    inspection = turn.require_inspection()
    service = services.requests
    when = parse_date(
        match["when"], today=service.today(inspection), calendar=service.calendar_of(inspection)
    )
    moved = await service.change_due(
        turn.inspection_id, match["ref"], person(turn), when, match["why"].strip()
    )
    return Reply(text=f"{moved.ref} is now due {moved.due_on:%a %d %b %Y}.",
                 card=card_for(turn, services, moved))  # fmt: skip


@routes.command(
    "note",
    roles=INSPECTOR_ROLES,
    help="Add an inspectors-only note to a request (in a personal chat with me)",
    usage="note IR-004 TEXT",
)
async def add_note(turn: Turn, services: Services) -> Reply:
    if turn.kind != "personal":
        # The channel is shared with provider staff: a note typed there is not internal.
        words = turn.args.split()
        ref = words[0].upper() if words and re.fullmatch(REF, words[0], re.I) else "IR-004"
        return Reply(
            text="Notes are for inspectors only, and this conversation includes other people. "
            f"Send `note {ref} ...` to me in a personal chat instead."
        )
    match = LEADING_REF.match(turn.args)
    if match is None or not match["rest"].strip():
        raise InspectionError("say which request and the note, e.g. `note IR-004 chase gently`")
    return await _note(turn, services, match["ref"], match["rest"].strip(), confirm=False)


@routes.action(NOTE_CONFIRMED_ACTION, roles=INSPECTOR_ROLES)
async def note_confirmed(turn: Turn, services: Services) -> Reply:
    """ "Add anyway" on the privacy check of a note: the note as the inspector typed it."""
    ref = turn.data_str("request", max_length=20)
    reply = await _note(turn, services, ref, turn.data_str("text", max_length=4000), confirm=True)
    return replace(reply, update=True)


async def _note(turn: Turn, services: Services, ref: str, text: str, *, confirm: bool) -> Reply:
    try:
        noted = await services.requests.add_note(
            turn.inspection_id, ref, person(turn), text, confirm=confirm
        )
    except NeedsConfirmation as needs:
        # 9.7 for inspectors' notes too; the warning names what looks like a name, not the name.
        data = {"request": ref.upper(), "text": text}
        return Reply(
            text=f"Not added yet. {needs}",
            card=confirm_card(
                needs.check,
                data,
                action=NOTE_CONFIRMED_ACTION,
                label="Add anyway",
                heading="Check before I add this note",
            ),
        )
    return Reply(
        text=f"Note added to {noted.ref} (inspectors only).",
        card=card_for(turn, services, noted),
    )
