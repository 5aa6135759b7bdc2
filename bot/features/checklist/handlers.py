"""The document checklist in Teams (7.2): the live card, questions about files, and what the
link officer says about them.

- `bot.checklist_board.ChecklistBoard` (made here, kept in `services.extras`): after every sync
  of the channel's Files it updates the channel's checklist card in place and asks the link
  officer about ambiguous files, with one button per answer (handled here).
- Commands and phrasings: `checklist`, "what's outstanding?", "this file is the staffing
  return" / "'Data Nov.xlsx' is the child-level data" (a confirmation when unsure, a choice when
  several files could be meant), "staffing data is not applicable because ..." (the reason is
  kept), `waive`, `unwaive`, `sync files`.
- After `move onsite` and `notice given`, the documents are checked again (audit and meeting
  dates depend on them): a middleware, so the re-planning commands stay as they are.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from bot.features.checklist import cards
from bot.features.checklist.board import zone_of
from bot.router import Next, Reply, Route, Router, Turn
from bot.services import Services
from inspection.checklist import ChecklistState, FileRef
from inspection.errors import Forbidden, InspectionError, NotFound
from inspection.frameworks import ChecklistItemSpec
from inspection.intake import ChecklistIntake, IntakeResult
from inspection.model import INSPECTOR_ROLES, Inspection, Role

log = logging.getLogger("bot.features.checklist.handlers")

# 7.2: the link officer says what is what; inspectors may too; link officer or lead waive.
MAPPERS = frozenset({Role.LINK_OFFICER, Role.LEAD_INSPECTOR, Role.INSPECTOR})
WAIVERS = frozenset({Role.LINK_OFFICER, Role.LEAD_INSPECTOR})
SYNCERS = INSPECTOR_ROLES | {Role.LINK_OFFICER}
MEMBERS = frozenset(Role)
REPLANNING = frozenset({"move onsite", "notice given"})

_THIS = re.compile(
    r"^(this|that|it|the attached|the attachment|attached)( (one|file|document|doc|upload))?$",
    re.I,
)
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

SyncNow = Callable[[int], Awaitable[IntakeResult | None]]


def _unquote(words: str) -> str:
    return words.strip().strip("\"'“”‘’").strip()


# --- what people say ----------------------------------------------------------------------------


def register(router: Router[Any], services: Services) -> None:
    intake = services.intake
    board = services.board

    async def refresh_card(inspection: Inspection, state: ChecklistState) -> None:
        try:
            await board.publish(inspection, state)
        except Exception:  # the turn's own answer matters more than the channel card
            log.warning("checklist card not refreshed", exc_info=True)

    def aad(turn: Turn) -> str:
        if not turn.user.aad_object_id:
            raise Forbidden("I can't tell who you are (Teams sent no Entra user id)")
        return turn.user.aad_object_id

    async def from_card(turn: Turn, allowed: frozenset[Role]) -> Inspection:
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

    # --- the checklist -------------------------------------------------------------------------
    @router.command(
        "checklist",
        needs_inspection=True,
        help="The document checklist: what has arrived, what is missing, what needs attention",
        aliases=("documents", "check list"),
    )
    async def show_checklist(turn: Turn) -> Reply:
        inspection = turn.require_inspection()
        state = await intake.state(inspection)
        channel = inspection.channel
        if turn.kind == "channel" and channel is not None and turn.channel_id == channel.channel_id:
            posted = await board.publish(inspection, state, new=True)
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

    @router.action(cards.REFRESH)
    async def refresh_from_card(turn: Turn) -> Reply:
        inspection = await from_card(turn, MEMBERS)
        state = await intake.state(inspection)
        card = cards.checklist_card(
            inspection,
            state,
            updated_at=services.clock.now(),
            zone=zone_of(services.frameworks, inspection),
        )
        return Reply(text=cards.counts_line(state), card=card, update=True)

    async def outstanding(inspection: Inspection, role: Role | None) -> Reply:
        state = await intake.state(inspection)
        requests_line = await _requests_line(services, inspection, role)
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

    @router.intent(
        r"\b(what'?s|what is|what are|anything|show|list)\b.*\b(outstanding|missing|still "
        r"(needed|to come|to do))\b",
        name="outstanding",
        needs_inspection=True,
        help='"what\'s outstanding?" (missing documents and open requests)',
    )
    async def show_outstanding(turn: Turn) -> Reply:
        return await outstanding(turn.require_inspection(), turn.role)

    @router.action(cards.OUTSTANDING)
    async def outstanding_from_card(turn: Turn) -> Reply:
        inspection = await from_card(turn, MEMBERS)
        return await outstanding(inspection, inspection.role_of(turn.user.aad_object_id))

    # --- questions about files ---------------------------------------------------------------
    @router.action(cards.ANSWER)
    async def answer_from_card(turn: Turn) -> Reply:
        inspection = await from_card(turn, MAPPERS)
        file_id = turn.data_str("file_id", max_length=400)
        key = (turn.data or {}).get("item_key")
        if not isinstance(key, str) or len(key) > 100:
            raise InvalidChoice()
        state = await intake.answer_question(inspection, file_id, key or None, by=aad(turn))
        await refresh_card(inspection, state)
        return Reply(text=_mapped_text(state, file_id, key or None), update=True)

    # --- "this file is the staffing return" ----------------------------------------------------
    async def files_meant(
        turn: Turn, inspection: Inspection, words: str
    ) -> tuple[list[FileRef], bool]:
        """The files a person means, and whether that is certain (exactly named)."""
        names = [a.name for a in turn.attachments if a.name]
        if names:
            found = await _named(intake, inspection, names)
            sync_now = services.file_sync.sync_now if services.file_sync is not None else None
            if not found and sync_now is not None:
                # Shared with the message a moment ago: the channel's Files may not be synced.
                await sync_now(inspection.id or 0)
                found = await _named(intake, inspection, names)
            return found, len(found) == 1
        if _THIS.match(words):
            state = await intake.state(inspection)
            asked = [q.file_id for q in state.questions]
            if len(asked) == 1:
                refs = [r for r in state.unmatched if r.file_id == asked[0]]
                refs = refs or [
                    r for item in state.items for r in item.files if r.file_id == asked[0]
                ]
                return refs[:1], False
            return list(state.unmatched), False
        found = await intake.find_files(inspection, words)
        if not found and "." in words:
            found = await intake.find_files(inspection, words.rsplit(".", 1)[0])
        exact = [f for f in found if _same_name(f.name, words)]
        if len(exact) == 1:
            return exact, True
        return found, False

    async def map_words(turn: Turn, file_words: str, item: ChecklistItemSpec | None) -> Reply:
        inspection = turn.require_inspection()
        files, sure = await files_meant(turn, inspection, _unquote(file_words))
        if not files:
            what = f"'{_unquote(file_words)}'" if not _THIS.match(file_words) else "the file"
            return Reply(
                text=f"I can't find {what} in the inspection channel's Files. Upload it to the "
                "channel (any folder), wait a minute, then tell me again; or give its name, "
                "e.g. \"'Data Nov.xlsx' is the staffing data\"."
            )
        if item is None:
            return Reply(text="Say which item the file is, e.g. 'this file is the staffing data'.")
        if len(files) > 1:
            return Reply(
                text=f"Several files could be meant. Which is the {item.title}?",
                card=cards.choose_file_card(inspection, files, item),
            )
        file = files[0]
        if not sure:
            return Reply(
                text=f"Is '{file.path}' the {item.title}?",
                card=cards.confirm_mapping_card(
                    inspection, file, item, "Press Yes and I'll count it for that item."
                ),
            )
        state = await intake.map_file(inspection, file.file_id, item.key, by=aad(turn))
        await refresh_card(inspection, state)
        return Reply(text=_mapped_text(state, file.file_id, item.key))

    @router.intent(
        _NOT_ITEM.pattern,
        name="not a checklist document",
        roles=MAPPERS,
        help="\"'Parking.pdf' is not a checklist document\"",
    )
    async def unmap_file(turn: Turn) -> Reply:
        match = _NOT_ITEM.match(turn.args)
        if match is None:
            return router.not_understood(turn.text)
        inspection = turn.require_inspection()
        files, sure = await files_meant(turn, inspection, _unquote(match["file"]))
        if len(files) != 1 or not sure:
            names = ", ".join(f"'{f.name}'" for f in files[:5]) or "no file by that name"
            return Reply(
                text=f"Which file exactly? I found {names}. Give the whole name, e.g. "
                "\"'Parking at the office.pdf' is not a checklist document\"."
            )
        state = await intake.map_file(inspection, files[0].file_id, None, by=aad(turn))
        await refresh_card(inspection, state)
        return Reply(text=_mapped_text(state, files[0].file_id, None))

    @router.intent(
        _WAIVE.pattern,
        name="waive item",
        roles=WAIVERS,
        help='"staffing data is not applicable because ..." (the reason is kept)',
    )
    async def waive_by_words(turn: Turn) -> Reply:
        match = _WAIVE.match(turn.args)
        if match is None:
            return router.not_understood(turn.text)
        return await waive(turn, match["item"], match["reason"])

    @router.command("waive", roles=WAIVERS, help="Mark a document as not needed, with why",
                    usage=WAIVE_USAGE)  # fmt: skip
    async def waive_command(turn: Turn) -> Reply:
        match = _WAIVE_ARGS.match(turn.args)
        if match is None:
            raise InspectionError(
                f"say which item and why: `{WAIVE_USAGE}`, e.g. `waive self-evaluation report "
                "because not significantly changed since last year` (7.2)"
            )
        return await waive(turn, match["item"], match["reason"])

    async def waive(turn: Turn, item_words: str, reason: str) -> Reply:
        inspection = turn.require_inspection()
        items = intake.resolve_item(inspection, _unquote(item_words))
        if not items:
            return Reply(text=_unknown_item(services, inspection, item_words))
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
        return await do_waive(turn, inspection, items[0].key, reason)

    async def do_waive(turn: Turn, inspection: Inspection, key: str, reason: str) -> Reply:
        state = await intake.waive(inspection, key, reason, by=aad(turn))
        await refresh_card(inspection, state)
        item = state.item(key)
        return Reply(
            text=f"Recorded: {item.title} is not needed ({reason}).",
            card=cards.waived_card(inspection, item),
        )

    @router.action(cards.WAIVE)
    async def waive_from_card(turn: Turn) -> Reply:
        inspection = await from_card(turn, WAIVERS)
        key = turn.data_str("item_key", max_length=100)
        reason = turn.data_str("reason", max_length=500)
        reply = await do_waive(turn, inspection, key, reason)
        return replace(reply, update=True)

    @router.command(
        "unwaive",
        roles=WAIVERS,
        help="Undo a waiver: the item is needed again",
        usage="unwaive ITEM",
        aliases=("undo waiver for", "undo waiver", "undo waiver of"),
    )
    async def unwaive_command(turn: Turn) -> Reply:
        inspection = turn.require_inspection()
        words = _unquote(turn.args)
        if not words:
            state = await intake.state(inspection)
            waived = [i.title for i in state.items if i.waiver is not None]
            listed = ", ".join(waived) if waived else "nothing is waived"
            return Reply(text=f"Say which item, e.g. `unwaive staffing data` ({listed}).")
        items = intake.resolve_item(inspection, words)
        if len(items) != 1:
            return Reply(text=_unknown_item(services, inspection, words, items))
        return await do_unwaive(turn, inspection, items[0].key)

    async def do_unwaive(turn: Turn, inspection: Inspection, key: str) -> Reply:
        before = await intake.state(inspection)
        if before.item(key).waiver is None:
            return Reply(text=f"The {before.item(key).title} was not waived; nothing to undo.")
        state = await intake.unwaive(inspection, key, by=aad(turn))
        await refresh_card(inspection, state)
        item = state.item(key)
        return Reply(text=f"The {item.title} is needed again: {cards.STATUS_LABEL[item.status]}.")

    @router.action(cards.UNWAIVE)
    async def unwaive_from_card(turn: Turn) -> Reply:
        inspection = await from_card(turn, WAIVERS)
        reply = await do_unwaive(turn, inspection, turn.data_str("item_key", max_length=100))
        return replace(reply, update=True)

    @router.intent(
        _MAP.pattern,
        name="file is item",
        roles=MAPPERS,
        help='"this file is the staffing return" or "\'Data Nov.xlsx\' is the child-level data"',
    )
    async def map_by_words(turn: Turn) -> Reply:
        match = _MAP.match(turn.args)
        file_words = match["file"] if match else ""
        if match is None:
            return router.not_understood(turn.text)
        inspection = turn.require_inspection()
        items = intake.resolve_item(inspection, _unquote(match["item"]))
        if not items:
            if not (await files_meant(turn, inspection, _unquote(file_words)))[0]:
                # Neither a file nor an item: not this phrasing at all.
                return router.not_understood(turn.text)
            return Reply(text=_unknown_item(services, inspection, match["item"]))
        if len(items) > 1:
            return Reply(
                text="Which item is it?",
                card=cards.choose_item_card(
                    inspection,
                    items,
                    action=cards.MAP,
                    prompt=f"Which item is '{_unquote(file_words)[:80]}'?",
                    file_words=_unquote(file_words)[:200],
                ),
            )
        return await map_words(turn, file_words, items[0])

    @router.action(cards.MAP)
    async def map_from_card(turn: Turn) -> Reply:
        inspection = await from_card(turn, MAPPERS)
        key = turn.data_str("item_key", max_length=100)
        data = turn.data or {}
        if isinstance(data.get("file_id"), str) and data["file_id"]:
            file_id = turn.data_str("file_id", max_length=400)
            state = await intake.map_file(inspection, file_id, key, by=aad(turn))
            await refresh_card(inspection, state)
            return Reply(text=_mapped_text(state, file_id, key), update=True)
        words = turn.data_str("file_words", max_length=200)
        item = next(
            (i for i in services.frameworks.get(inspection.framework).checklist if i.key == key),
            None,
        )
        if item is None:
            raise InvalidChoice()
        turn = replace(turn, inspection=inspection, role=inspection.role_of(aad(turn)))
        return replace(await map_words(turn, words, item), update=True)

    @router.action(cards.MAP_CANCEL)
    async def map_cancelled(turn: Turn) -> Reply:
        return Reply(
            text="OK, nothing changed. Tell me the file's exact name and the item, e.g. "
            "\"'Data Nov.xlsx' is the staffing data\".",
            update=True,
        )

    # --- syncing now ---------------------------------------------------------------------------
    @router.command(
        "sync files",
        roles=SYNCERS,
        help="Check the channel's Files now (they are checked every few minutes anyway)",
        aliases=("check files",),
    )
    async def sync_files(turn: Turn) -> Reply:
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

    # --- re-check after re-planning -------------------------------------------------------------
    async def recheck_after_replanning(turn: Turn, route: Route, call_next: Next) -> Reply:
        reply = await call_next(turn)
        if route.name not in REPLANNING or turn.inspection is None or turn.inspection.id is None:
            return reply
        before = turn.inspection
        try:
            after = await services.repository.get(before.id or 0)
        except InspectionError:
            return reply
        if (after.onsite_start, after.onsite_end, after.notice_date) == (
            before.onsite_start,
            before.onsite_end,
            before.notice_date,
        ):
            return reply
        try:
            state = await intake.recheck(after)
        except InspectionError as exc:
            log.warning("documents not re-checked: %s", exc)
            note = f"I couldn't check the documents again just now ({exc})."
            return replace(reply, more=(*reply.more, Reply(text=note)))
        if state is None:
            return reply
        await refresh_card(after, state)
        attention = state.needing_attention()
        note = "I checked the documents again against the new dates: " + (
            ", ".join(f"{i.title} needs attention" for i in attention)
            if attention
            else "nothing needs attention."
        )
        return replace(reply, more=(*reply.more, Reply(text=note)))

    router.use(recheck_after_replanning)


class InvalidChoice(InspectionError):
    def __init__(self) -> None:
        super().__init__("That button's choice is not valid; type `checklist` for a fresh card.")


def _same_name(name: str, words: str) -> bool:
    a, b = name.casefold().strip(), words.casefold().strip()
    return a == b or a.rsplit(".", 1)[0] == b


async def _named(
    intake: ChecklistIntake, inspection: Inspection, names: list[str]
) -> list[FileRef]:
    found: dict[str, FileRef] = {}
    for name in names:
        for ref in await intake.find_files(inspection, name):
            if _same_name(ref.name, name):
                found.setdefault(ref.file_id, ref)
    return list(found.values())


def _mapped_text(state: ChecklistState, file_id: str, key: str | None) -> str:
    path = next(
        (
            ref.path
            for refs in (
                state.unmatched,
                state.ignored,
                *(item.files for item in state.items),
            )
            for ref in refs
            if ref.file_id == file_id
        ),
        "the file",
    )
    if key is None:
        return f"Recorded: '{path}' is not one of the checklist documents."
    item = state.item(key)
    text = f"Recorded: '{path}' is the {item.title} ({cards.STATUS_LABEL[item.status]})."
    if item.problems:
        text += " To fix: " + "; ".join(item.problems[:3])
    return text


def _unknown_item(
    services: Services,
    inspection: Inspection,
    words: str,
    candidates: list[ChecklistItemSpec] | None = None,
) -> str:
    if candidates:
        return (
            f"'{_unquote(words)}' could be "
            + " or ".join(f"the {i.title}" for i in candidates[:4])
            + "; say which."
        )
    items = services.frameworks.get(inspection.framework).required_items()
    return (
        f"I don't know a checklist item called '{_unquote(words)[:60]}'. The required items are: "
        + ", ".join(i.title for i in items)
        + "."
    )


async def _requests_line(services: Services, inspection: Inspection, role: Role | None) -> str:
    if services.requests is None or inspection.id is None:
        return ""
    from inspection.clock import local_today

    del role  # counts are the same for every audience (issue 7: counted, not loaded)
    today = local_today(services.clock, services.frameworks.get(inspection.framework).zone)
    try:
        waiting, late = await services.requests.waiting_counts(inspection.id, today)
    except InspectionError as exc:
        return f"not available right now ({exc})"
    return f"{waiting} open, {late} overdue"
