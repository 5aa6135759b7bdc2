"""Cards for the document checklist (7.2): the live checklist card, what is outstanding, the
question about an ambiguous file, and the confirmation and choice cards of the link officer's
conversation ("this file is the staffing return", "staffing data is not applicable because")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.cards import Json, card, facts, submit, text, title
from inspection.checklist import ChecklistState, FileRef, ItemState, ItemStatus, Question
from inspection.frameworks import ChecklistItemSpec
from inspection.model import Inspection

# Card action names (the routes of this feature's handlers.py).
REFRESH = "checklist_refresh"
OUTSTANDING = "checklist_outstanding"
ANSWER = "checklist_answer"
MAP = "checklist_map"
MAP_CANCEL = "checklist_map_cancel"
WAIVE = "checklist_waive"
UNWAIVE = "checklist_unwaive"

STATUS_LABEL = {
    ItemStatus.RECEIVED: "received",
    ItemStatus.MISSING: "missing",
    ItemStatus.NEEDS_ATTENTION: "needs attention",
    ItemStatus.WAIVED: "waived",
}
STATUS_COLOUR = {
    ItemStatus.RECEIVED: "Good",
    ItemStatus.MISSING: "Attention",
    ItemStatus.NEEDS_ATTENTION: "Warning",
    ItemStatus.WAIVED: "Default",
}
# Teams refuses cards over about 28 KB: show this much per item and say how much more there is.
MAX_FILES = 4
MAX_PROBLEMS = 3
MAX_LISTED = 8
MAX_CHOICES = 6


def _short(value: str, limit: int = 80) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _link(ref: FileRef) -> str:
    name = _short(ref.display_path, 70).replace("[", "(").replace("]", ")")
    return f"[{name}]({ref.web_url})" if ref.web_url else name


def _more(shown: int, total: int, what: str) -> list[str]:
    return [f"…and {total - shown} more {what}"] if total > shown else []


def counts_line(state: ChecklistState) -> str:
    counts = state.required_counts()
    total = sum(counts.values())
    line = (
        f"Required: {counts['received']} of {total} received, {counts['missing']} missing, "
        f"{counts['needs_attention']} need attention"
    )
    if counts["waived"]:
        line += f", {counts['waived']} waived"
    return line


def _item_blocks(item: ItemState) -> list[Json]:
    blocks: list[Json] = [
        {
            "type": "TextBlock",
            "text": f"**{item.title}** ({item.source}): {STATUS_LABEL[item.status]}",
            "color": STATUS_COLOUR[item.status],
            "wrap": True,
            "spacing": "Medium",
        }
    ]
    lines = [_link(f) for f in item.files[:MAX_FILES]]
    lines += _more(min(len(item.files), MAX_FILES), len(item.files), "file(s)")
    lines += [f"⚠ {_short(p, 200)}" for p in item.problems[:MAX_PROBLEMS]]
    lines += _more(min(len(item.problems), MAX_PROBLEMS), len(item.problems), "problem(s)")
    if item.waiver is not None:
        lines.append(f"Not needed: {_short(item.waiver.reason, 200)}")
    if lines:
        blocks.append(text("\n\n".join(lines), subtle=item.status == ItemStatus.RECEIVED))
    return blocks


def checklist_card(
    inspection: Inspection,
    state: ChecklistState,
    *,
    updated_at: datetime | None = None,
    zone: ZoneInfo | None = None,
) -> Json:
    """The live checklist: every required item with its files and problems, the optional
    documents received, open questions and files nobody could place."""
    body: list[Json] = [
        title(f"Document checklist: {inspection.service_name}"),
        text(counts_line(state), color="Good" if state.complete else None),
    ]
    for item in state.items:
        if item.required:
            body.extend(_item_blocks(item))
    optional = [i for i in state.items if not i.required]
    received = [i for i in optional if i.status != ItemStatus.MISSING]
    if optional:
        body.append(
            {
                "type": "TextBlock",
                "text": f"**Optional documents** (7.2): {len(received)} of {len(optional)} "
                "received",
                "wrap": True,
                "spacing": "Large",
            }
        )
        for item in received:
            body.extend(_item_blocks(item))
    if state.questions:
        lines = [f"❓ {_short(q.text, 200)}" for q in state.questions[:MAX_LISTED]]
        lines += _more(min(len(state.questions), MAX_LISTED), len(state.questions), "question(s)")
        body.append(text("**Waiting for the link officer**\n\n" + "\n\n".join(lines)))
    if state.unmatched:
        lines = [_link(f) for f in state.unmatched[:MAX_LISTED]]
        lines += _more(min(len(state.unmatched), MAX_LISTED), len(state.unmatched), "file(s)")
        body.append(
            text(
                "**Not matched to an item** (say what one is: \"'Data Nov.xlsx' is the staffing "
                'data")\n\n' + "\n\n".join(lines)
            )
        )
    # 9.7: a returned factual accuracy grid whose comments may name a child is not a checklist
    # document, but the people uploading it must see the warning (the names are not repeated).
    for ignored in state.ignored:
        if "9.7:" in ignored.reason:
            body.append(text(f"**Needs attention: {ignored.display_path}**\n\n{ignored.reason}"))
    if state.ignored:
        body.append(
            text(
                f"{len(state.ignored)} file(s) ignored (lock, system, temporary or empty files, "
                "or answers to information requests).",
                subtle=True,
            )
        )
    if updated_at is not None:
        moment = updated_at.astimezone(zone) if zone else updated_at
        body.append(text(f"Updated {moment:%a %d %b %Y %H:%M}", subtle=True))
    return card(
        body,
        [
            submit("Refresh", REFRESH, inspection_id=inspection.id),
            submit("What's outstanding?", OUTSTANDING, inspection_id=inspection.id),
        ],
    )


def outstanding_lines(state: ChecklistState) -> list[str]:
    """One line per required item still missing or needing attention, and each question."""
    lines: list[str] = []
    for item in state.missing_required():
        lines.append(f"{item.title} ({item.source}): missing")
    for item in state.needing_attention():
        reason = item.problems[0] if item.problems else "a question about a file is open"
        lines.append(f"{item.title}: needs attention ({_short(reason, 160)})")
    for question in state.questions:
        lines.append(question.text)
    return lines


def outstanding_card(
    inspection: Inspection, state: ChecklistState, requests_line: str | None
) -> Json:
    body: list[Json] = [title(f"Outstanding: {inspection.service_name}")]
    lines = outstanding_lines(state)
    if lines:
        body.append(text("\n\n".join(f"- {line}" for line in lines)))
    else:
        body.append(text("Every required document is received or waived.", color="Good"))
    if requests_line:
        body.append(text(f"Information requests: {requests_line}"))
    return card(body, [submit("Show the checklist", REFRESH, inspection_id=inspection.id)])


def question_card(inspection: Inspection, question: Question, web_url: str | None) -> Json:
    """ "Is 'Data Nov.xlsx' the child-level data lists or the staffing data?" with one button
    per answer."""
    name = question.display_path.rsplit("/", 1)[-1]
    body: list[Json] = [
        title("Which document is this?"),
        text(question.text),
        facts([("File", question.display_path), ("Inspection", inspection.service_name)]),
    ]
    if web_url:
        body.append(text(f"[Open {name}]({web_url})"))
    actions = [
        submit(
            f"The {_short(item_title, 40)}",
            ANSWER,
            inspection_id=inspection.id,
            file_id=question.file_id,
            item_key=key,
        )
        for key, item_title in question.options[:MAX_CHOICES]
    ]
    actions.append(
        submit(
            "None of these",
            ANSWER,
            inspection_id=inspection.id,
            file_id=question.file_id,
            item_key="",
        )
    )
    return card(body, actions)


def confirm_mapping_card(
    inspection: Inspection, file: FileRef, item: ChecklistItemSpec, why: str
) -> Json:
    body = [
        title("Just checking"),
        text(f"Is '{file.display_path}' the {item.title} ({item.source})?"),
        text(why, subtle=True),
    ]
    return card(
        body,
        [
            submit(
                "Yes",
                MAP,
                inspection_id=inspection.id,
                file_id=file.file_id,
                item_key=item.key,
            ),
            submit("No", MAP_CANCEL, inspection_id=inspection.id),
        ],
    )


def choose_file_card(
    inspection: Inspection, files: Sequence[FileRef], item: ChecklistItemSpec | None
) -> Json:
    what = f"the {item.title}" if item else "the one you mean"
    body = [
        title("Which file?"),
        text(f"Several files could be meant. Which is {what}?"),
    ]
    actions = [
        submit(
            _short(f.display_path, 60),
            MAP,
            inspection_id=inspection.id,
            file_id=f.file_id,
            item_key=item.key if item else "",
            ask_item="" if item else "yes",
        )
        for f in files[:MAX_CHOICES]
    ]
    if len(files) > MAX_CHOICES:
        body.append(text(f"Showing the newest {MAX_CHOICES}; name the file to narrow it down."))
    actions.append(submit("None of these", MAP_CANCEL, inspection_id=inspection.id))
    return card(body, actions)


def choose_item_card(
    inspection: Inspection,
    items: Sequence[ChecklistItemSpec],
    *,
    action: str,
    prompt: str,
    **data: str,
) -> Json:
    body = [title("Which item?"), text(prompt)]
    actions = [
        submit(
            _short(item.title, 50),
            action,
            inspection_id=inspection.id,
            item_key=item.key,
            **data,
        )
        for item in items[:MAX_CHOICES]
    ]
    actions.append(submit("None of these", MAP_CANCEL, inspection_id=inspection.id))
    return card(body, actions)


def waived_card(inspection: Inspection, item: ItemState) -> Json:
    reason = item.waiver.reason if item.waiver else ""
    body = [
        title(f"{item.title}: not needed"),
        text(f"Reason kept with the checklist: {reason}"),
        text(
            "If a file for it arrives later it still counts, and the reason stays on record.",
            subtle=True,
        ),
    ]
    return card(
        body,
        [submit("Undo", UNWAIVE, inspection_id=inspection.id, item_key=item.key)],
    )
