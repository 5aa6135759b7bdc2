"""The document checklist in Teams (7.2): the live card, questions about files, and what the
link officer says about them.

- `board.ChecklistBoard` (`services.board`): after every sync of the channel's Files it updates
  the channel's checklist card in place and asks the link officer about ambiguous files, with
  one button per answer (handled here).
- Commands and phrasings: `checklist`, "what's outstanding?", "this file is the staffing
  return" / "'Data Nov.xlsx' is the child-level data" (a confirmation when unsure, a choice when
  several files could be meant), "staffing data is not applicable because ..." (the reason is
  kept), `waive`, `unwaive`, `sync files`.
- After `move onsite` and `notice given` the documents are checked again (`replanning.py`).
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.features.checklist import cards
from bot.features.checklist.board import zone_of
from bot.features.checklist.files import (
    InvalidChoice,
    aad,
    files_meant,
    map_words,
    mapped_text,
    unknown_item,
    unquote,
)
from bot.features.routing import router_of
from bot.router import Reply, Routes, Turn
from bot.services import Services
from inspection.clock import local_today
from inspection.errors import Forbidden, InspectionError, NotFound
from inspection.model import INSPECTOR_ROLES, Inspection, Role

# 7.2: the link officer says what is what; inspectors may too; link officer or lead waive.
MAPPERS = frozenset({Role.LINK_OFFICER, Role.LEAD_INSPECTOR, Role.INSPECTOR})
WAIVERS = frozenset({Role.LINK_OFFICER, Role.LEAD_INSPECTOR})
SYNCERS = INSPECTOR_ROLES | {Role.LINK_OFFICER}
MEMBERS = frozenset(Role)

_NOT_ITEM = re.compile(
    r"^\s*(?P<file>.+?)\s+is\s+not\s+(?:a|an|one of the)?\s*(?:checklist|required|inspection)"
    r"\s+(?:document|item|file)s?\b",
    re.I | re.S,
)
# Not a question ("what is the deadline?"): those belong to other intents or to "didn't understand".
_MAP = re.compile(
    r"^(?!\s*(?:what|which|when|who|where|how|why|is|are|can|does|do)\b)\s*(?:please\s+)?"
    r"(?P<file>.+?)\s+(?:is|are)\s+(?:the|our|my)\s+(?P<item>.+?)\s*$",
    re.I | re.S,
)
_WAIVE = re.compile(
    r"^\s*(?:the\s+|our\s+)?(?P<item>.+?)\s+(?:is|are)\s+(?:not\s+(?:applicable|needed|required|"
    r"relevant)|n/?a)\b[\s,.;:\-]*(?:(?:because|as|since)\b[\s,:\-]*)?(?P<reason>.*)$",
    re.I | re.S,
)
_WAIVE_ARGS = re.compile(r"^(?P<item>.+?)\s*(?:\bbecause\b|\bas\b|:|\s-\s)\s*(?P<reason>.+)$", re.I)
WAIVE_USAGE = "waive ITEM because REASON"

routes = Routes()


async def from_card(turn: Turn, services: Services, allowed: frozenset[Role]) -> Inspection:
    """The inspection a button belongs to (it may be a personal chat about any of several
    inspections), with the presser's role checked."""
    inspection_id = turn.data_int("inspection_id")
    try:
        inspection = await services.repository.get(inspection_id)
    except NotFound:
        raise NotFound("that inspection no longer exists; the card is out of date") from None
    role = inspection.role_of(turn.user.aad_object_id)
    if role is None:
        raise Forbidden("you don't have a role in that inspection, so I can't change it")
    if role not in allowed:
        who = " or ".join(sorted(r.label for r in allowed))
        raise Forbidden(f"only the {who} can do that; you are the {role.label}")
    return inspection


# --- the checklist -------------------------------------------------------------------------------
@routes.command(
    "checklist",
    needs_inspection=True,
    help="The document checklist: what has arrived, what is missing, what needs attention",
    aliases=("documents", "check list"),
)
async def show_checklist(turn: Turn, services: Services) -> Reply:
    inspection = turn.require_inspection()
    state = await services.intake.state(inspection)
    channel = inspection.channel
    if turn.kind == "channel" and channel is not None and turn.channel_id == channel.channel_id:
        posted = await services.board.publish(inspection, state, new=True)
        if posted is not None:
            return Reply(
                text=f"{cards.counts_line(state)}. I've posted the checklist in the channel; "
                "it updates itself as files arrive."
            )
    card = cards.checklist_card(
        inspection,
        state,
        updated_at=services.clock.now(),
        zone=zone_of(services.frameworks, inspection),
    )
    return Reply(text=cards.counts_line(state), card=card)


@routes.action(cards.REFRESH)
async def refresh_from_card(turn: Turn, services: Services) -> Reply:
    inspection = await from_card(turn, services, MEMBERS)
    state = await services.intake.state(inspection)
    card = cards.checklist_card(
        inspection,
        state,
        updated_at=services.clock.now(),
        zone=zone_of(services.frameworks, inspection),
    )
    return Reply(text=cards.counts_line(state), card=card, update=True)


async def outstanding(services: Services, inspection: Inspection) -> Reply:
    state = await services.intake.state(inspection)
    requests_line = await _requests_line(services, inspection)
    lines = cards.outstanding_lines(state)
    summary = (
        f"{len(state.missing_required())} required document(s) missing, "
        f"{len(state.needing_attention())} need attention"
        if lines
        else "Every required document is received or waived"
    )
    return Reply(
        text=summary + (f"; information requests: {requests_line}" if requests_line else ""),
        card=cards.outstanding_card(inspection, state, requests_line),
    )


@routes.intent(
    r"\b(what'?s|what is|what are|anything|show|list)\b.*\b(outstanding|missing|still "
    r"(needed|to come|to do))\b",
    name="outstanding",
    needs_inspection=True,
    help='"what\'s outstanding?" (missing documents and open requests)',
)
async def show_outstanding(turn: Turn, services: Services) -> Reply:
    return await outstanding(services, turn.require_inspection())


@routes.action(cards.OUTSTANDING)
async def outstanding_from_card(turn: Turn, services: Services) -> Reply:
    inspection = await from_card(turn, services, MEMBERS)
    return await outstanding(services, inspection)


# --- questions about files -----------------------------------------------------------------------
@routes.action(cards.ANSWER)
async def answer_from_card(turn: Turn, services: Services) -> Reply:
    inspection = await from_card(turn, services, MAPPERS)
    file_id = turn.data_str("file_id", max_length=400)
    key = (turn.data or {}).get("item_key")
    if not isinstance(key, str) or len(key) > 100:
        raise InvalidChoice()
    state = await services.intake.answer_question(inspection, file_id, key or None, by=aad(turn))
    await services.board.refresh(inspection, state)
    return Reply(text=mapped_text(state, file_id, key or None), update=True)


# --- "this file is the staffing return" ----------------------------------------------------------
@routes.intent(
    _NOT_ITEM.pattern,
    name="not a checklist document",
    roles=MAPPERS,
    help="\"'Parking.pdf' is not a checklist document\"",
)
async def unmap_file(turn: Turn, services: Services) -> Reply:
    match = _NOT_ITEM.match(turn.args)
    if match is None:
        return router_of(turn).not_understood(turn.text)
    inspection = turn.require_inspection()
    files, sure = await files_meant(turn, services, inspection, unquote(match["file"]))
    if len(files) != 1 or not sure:
        names = ", ".join(f"'{f.name}'" for f in files[:5]) or "no file by that name"
        return Reply(
            text=f"Which file exactly? I found {names}. Give the whole name, e.g. "
            "\"'Parking at the office.pdf' is not a checklist document\"."
        )
    state = await services.intake.map_file(inspection, files[0].file_id, None, by=aad(turn))
    await services.board.refresh(inspection, state)
    return Reply(text=mapped_text(state, files[0].file_id, None))


@routes.intent(
    _WAIVE.pattern,
    name="waive item",
    roles=WAIVERS,
    help='"staffing data is not applicable because ..." (the reason is kept)',
)
async def waive_by_words(turn: Turn, services: Services) -> Reply:
    match = _WAIVE.match(turn.args)
    if match is None:
        return router_of(turn).not_understood(turn.text)
    return await waive(turn, services, match["item"], match["reason"])


@routes.command("waive", roles=WAIVERS, help="Mark a document as not needed, with why",
                usage=WAIVE_USAGE)  # fmt: skip
async def waive_command(turn: Turn, services: Services) -> Reply:
    match = _WAIVE_ARGS.match(turn.args)
    if match is None:
        raise InspectionError(
            f"say which item and why: `{WAIVE_USAGE}`, e.g. `waive self-evaluation report "
            "because not significantly changed since last year` (7.2)"
        )
    return await waive(turn, services, match["item"], match["reason"])


async def waive(turn: Turn, services: Services, item_words: str, reason: str) -> Reply:
    inspection = turn.require_inspection()
    items = services.intake.resolve_item(inspection, unquote(item_words))
    if not items:
        return Reply(text=unknown_item(services, inspection, item_words))
    reason = " ".join(reason.split()).strip(" .")
    if not reason:
        return Reply(
            text=f"Say why the {items[0].title} is not needed, so the reason is on record: "
            f"e.g. '{items[0].title.lower()} is not applicable because ...'."
        )
    if len(items) > 1:
        return Reply(
            text="Which item is not needed?",
            card=cards.choose_item_card(
                inspection,
                items,
                action=cards.WAIVE,
                prompt=f"Which item is not needed ({reason[:100]})?",
                reason=reason[:500],
            ),
        )
    return await do_waive(turn, services, inspection, items[0].key, reason)


async def do_waive(
    turn: Turn, services: Services, inspection: Inspection, key: str, reason: str
) -> Reply:
    state = await services.intake.waive(inspection, key, reason, by=aad(turn))
    await services.board.refresh(inspection, state)
    item = state.item(key)
    return Reply(
        text=f"Recorded: {item.title} is not needed ({reason}).",
        card=cards.waived_card(inspection, item),
    )


@routes.action(cards.WAIVE)
async def waive_from_card(turn: Turn, services: Services) -> Reply:
    inspection = await from_card(turn, services, WAIVERS)
    key = turn.data_str("item_key", max_length=100)
    reason = turn.data_str("reason", max_length=500)
    reply = await do_waive(turn, services, inspection, key, reason)
    return replace(reply, update=True)


@routes.command(
    "unwaive",
    roles=WAIVERS,
    help="Undo a waiver: the item is needed again",
    usage="unwaive ITEM",
    aliases=("undo waiver for", "undo waiver", "undo waiver of"),
)
async def unwaive_command(turn: Turn, services: Services) -> Reply:
    inspection = turn.require_inspection()
    words = unquote(turn.args)
    if not words:
        state = await services.intake.state(inspection)
        waived = [i.title for i in state.items if i.waiver is not None]
        listed = ", ".join(waived) if waived else "nothing is waived"
        return Reply(text=f"Say which item, e.g. `unwaive staffing data` ({listed}).")
    items = services.intake.resolve_item(inspection, words)
    if len(items) != 1:
        return Reply(text=unknown_item(services, inspection, words, items))
    return await do_unwaive(turn, services, inspection, items[0].key)


async def do_unwaive(turn: Turn, services: Services, inspection: Inspection, key: str) -> Reply:
    before = await services.intake.state(inspection)
    if before.item(key).waiver is None:
        return Reply(text=f"The {before.item(key).title} was not waived; nothing to undo.")
    state = await services.intake.unwaive(inspection, key, by=aad(turn))
    await services.board.refresh(inspection, state)
    item = state.item(key)
    return Reply(text=f"The {item.title} is needed again: {cards.STATUS_LABEL[item.status]}.")


@routes.action(cards.UNWAIVE)
async def unwaive_from_card(turn: Turn, services: Services) -> Reply:
    inspection = await from_card(turn, services, WAIVERS)
    key = turn.data_str("item_key", max_length=100)
    reply = await do_unwaive(turn, services, inspection, key)
    return replace(reply, update=True)


@routes.intent(
    _MAP.pattern,
    name="file is item",
    roles=MAPPERS,
    help='"this file is the staffing return" or "\'Data Nov.xlsx\' is the child-level data"',
)
async def map_by_words(turn: Turn, services: Services) -> Reply:
    match = _MAP.match(turn.args)
    file_words = match["file"] if match else ""
    if match is None:
        return router_of(turn).not_understood(turn.text)
    inspection = turn.require_inspection()
    items = services.intake.resolve_item(inspection, unquote(match["item"]))
    if not items:
        if not (await files_meant(turn, services, inspection, unquote(file_words)))[0]:
            # Neither a file nor an item: not this phrasing at all.
            return router_of(turn).not_understood(turn.text)
        return Reply(text=unknown_item(services, inspection, match["item"]))
    if len(items) > 1:
        return Reply(
            text="Which item is it?",
            card=cards.choose_item_card(
                inspection,
                items,
                action=cards.MAP,
                prompt=f"Which item is '{unquote(file_words)[:80]}'?",
                file_words=unquote(file_words)[:200],
            ),
        )
    return await map_words(turn, services, file_words, items[0])


@routes.action(cards.MAP)
async def map_from_card(turn: Turn, services: Services) -> Reply:
    inspection = await from_card(turn, services, MAPPERS)
    key = turn.data_str("item_key", max_length=100)
    data = turn.data or {}
    if isinstance(data.get("file_id"), str) and data["file_id"]:
        file_id = turn.data_str("file_id", max_length=400)
        state = await services.intake.map_file(inspection, file_id, key, by=aad(turn))
        await services.board.refresh(inspection, state)
        return Reply(text=mapped_text(state, file_id, key), update=True)
    words = turn.data_str("file_words", max_length=200)
    item = next(
        (i for i in services.frameworks.get(inspection.framework).checklist if i.key == key),
        None,
    )
    if item is None:
        raise InvalidChoice()
    turn = replace(turn, inspection=inspection, role=inspection.role_of(aad(turn)))
    return replace(await map_words(turn, services, words, item), update=True)


@routes.action(cards.MAP_CANCEL)
async def map_cancelled(turn: Turn, services: Services) -> Reply:
    return Reply(
        text="OK, nothing changed. Tell me the file's exact name and the item, e.g. "
        "\"'Data Nov.xlsx' is the staffing data\".",
        update=True,
    )


# --- syncing now ---------------------------------------------------------------------------------
@routes.command(
    "sync files",
    roles=SYNCERS,
    help="Check the channel's Files now (they are checked every few minutes anyway)",
    aliases=("check files",),
)
async def sync_files(turn: Turn, services: Services) -> Reply:
    sync_now = services.file_sync.sync_now if services.file_sync is not None else None
    if sync_now is None or services.directory is None:
        raise InspectionError(
            "I can't read the channel's Files here (Microsoft Graph is not set up)"
        )
    outcome = await sync_now(turn.inspection_id)
    if outcome is None:
        return Reply(text="This inspection's channel has no Files yet; run `set up channel`.")
    if not outcome.changed:
        return Reply(text="No new or changed files since the last check.")
    shown = ", ".join(f"'{p}'" for p in outcome.recorded[:5]) or "none"
    more = f" and {len(outcome.recorded) - 5} more" if len(outcome.recorded) > 5 else ""
    gone = f"; {len(outcome.removed)} removed" if outcome.removed else ""
    asked = (
        f"; {len(outcome.new_questions)} question(s) for the link officer"
        if outcome.new_questions
        else ""
    )
    state = outcome.state
    counts = f" {cards.counts_line(state)}." if state is not None else ""
    return Reply(text=f"Checked: {shown}{more}{gone}{asked}.{counts}")


async def _requests_line(services: Services, inspection: Inspection) -> str:
    if inspection.id is None:
        return ""
    # The counts are the same for every audience: counted by the database, not loaded.
    today = local_today(services.clock, services.frameworks.get(inspection.framework).zone)
    try:
        waiting, late = await services.requests.waiting_counts(inspection.id, today)
    except InspectionError as exc:
        return f"not available right now ({exc})"
    return f"{waiting} open, {late} overdue"
