"""Which file and which checklist item a person means ("this file", "'Data Nov.xlsx'", "the
staffing data"), and what to say once a file is placed."""

from __future__ import annotations

import re

from bot.features.checklist import cards
from bot.router import Turn
from bot.services import Services
from inspection.checklist import ChecklistState, FileRef
from inspection.errors import InspectionError
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
