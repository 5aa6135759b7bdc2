"""Which file and which checklist item a person means ("this file", "'Data Nov.xlsx'", "the
staffing data"), placing a file once it is clear, and what to say then."""

from __future__ import annotations

import re

from bot.features.checklist import cards
from bot.router import Reply, Turn
from bot.services import Services
from inspection.checklist import ChecklistState, FileRef
from inspection.errors import Forbidden, InspectionError
from inspection.frameworks import ChecklistItemSpec
from inspection.intake import ChecklistIntake
from inspection.model import Inspection

THIS = re.compile(
    r"^(this|that|it|the attached|the attachment|attached)( (one|file|document|doc|upload))?$",
    re.I,
)


class InvalidChoice(InspectionError):
    def __init__(self) -> None:
        super().__init__("That button's choice is not valid; type `checklist` for a fresh card.")


def aad(turn: Turn) -> str:
    if not turn.user.aad_object_id:
        raise Forbidden("I can't tell who you are (Teams sent no Entra user id)")
    return turn.user.aad_object_id


def unquote(words: str) -> str:
    return words.strip().strip("\"'“”‘’").strip()


async def files_meant(
    turn: Turn, services: Services, inspection: Inspection, words: str
) -> tuple[list[FileRef], bool]:
    """The files a person means, and whether that is certain (exactly named)."""
    intake = services.intake
    names = [a.name for a in turn.attachments if a.name]
    if names:
        found = await _named(intake, inspection, names)
        sync_now = services.file_sync.sync_now if services.file_sync is not None else None
        if not found and sync_now is not None:
            # Shared with the message a moment ago: the channel's Files may not be synced.
            await sync_now(inspection.id or 0)
            found = await _named(intake, inspection, names)
        return found, len(found) == 1
    if THIS.match(words):
        state = await intake.state(inspection)
        asked = [q.file_id for q in state.questions]
        if len(asked) == 1:
            refs = [r for r in state.unmatched if r.file_id == asked[0]]
            refs = refs or [r for item in state.items for r in item.files if r.file_id == asked[0]]
            return refs[:1], False
        return list(state.unmatched), False
    found = await intake.find_files(inspection, words)
    if not found and "." in words:
        found = await intake.find_files(inspection, words.rsplit(".", 1)[0])
    exact = [f for f in found if _same_name(f.name, words)]
    if len(exact) == 1:
        return exact, True
    return found, False


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


def mapped_text(state: ChecklistState, file_id: str, key: str | None) -> str:
    """What was recorded about the file: the item it is now (with what to fix), or none."""
    path = next(
        (
            ref.display_path
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


def unknown_item(
    services: Services,
    inspection: Inspection,
    words: str,
    candidates: list[ChecklistItemSpec] | None = None,
) -> str:
    """`words` names no one item: the candidates, else the required items."""
    if candidates:
        return (
            f"'{unquote(words)}' could be "
            + " or ".join(f"the {i.title}" for i in candidates[:4])
            + "; say which."
        )
    items = services.frameworks.get(inspection.framework).required_items()
    return (
        f"I don't know a checklist item called '{unquote(words)[:60]}'. The required items are: "
        + ", ".join(i.title for i in items)
        + "."
    )


async def map_words(
    turn: Turn, services: Services, file_words: str, item: ChecklistItemSpec | None
) -> Reply:
    inspection = turn.require_inspection()
    files, sure = await files_meant(turn, services, inspection, unquote(file_words))
    if not files:
        what = f"'{unquote(file_words)}'" if not THIS.match(file_words) else "the file"
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
            text=f"Is '{file.display_path}' the {item.title}?",
            card=cards.confirm_mapping_card(
                inspection, file, item, "Press Yes and I'll count it for that item."
            ),
        )
    state = await services.intake.map_file(inspection, file.file_id, item.key, by=aad(turn))
    await services.board.refresh(inspection, state)
    return Reply(text=mapped_text(state, file.file_id, item.key))
