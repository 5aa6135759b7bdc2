"""Cards about one inspection: welcome (pinned), status, timeline, new-inspection form."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

from bot.cards import Json, card, facts, submit, text, title
from inspection.frameworks import Framework, FrameworkRegistry
from inspection.model import Inspection, Role
from inspection.timeline import Milestone, Timeline

PHASE_LABEL = {"past": "done", "today": "TODAY", "next": "next", "later": ""}
NEW_INSPECTION_ACTION = "new_inspection_form"
# The Status and Timeline buttons (the same names as the commands they repeat).
STATUS_ACTION = "status"
TIMELINE_ACTION = "timeline"


def _day(day: date) -> str:
    return day.strftime("%a %d %b %Y")


def _when(milestone: Milestone) -> str:
    if milestone.end and milestone.end != milestone.date:
        return f"{_day(milestone.date)} to {_day(milestone.end)}"
    return _day(milestone.date)


def people(inspection: Inspection) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for role in Role:
        names = [m.display_name or "(name not known)" for m in inspection.members_with(role)]
        if names:
            rows.append((role.label.capitalize(), ", ".join(names)))
    return rows


async def timeline_card_off_loop(inspection: Inspection, timeline: Timeline, today: date) -> Json:
    """The timeline card, its picture drawn in a worker thread (not on the event loop)."""
    from bot.features.inspections.timeline_image import timeline_image_off_loop

    image = await timeline_image_off_loop(timeline, today)
    return timeline_card(inspection, timeline, today, picture=image)


def timeline_card(
    inspection: Inspection,
    timeline: Timeline,
    today: date,
    *,
    picture: Json | Literal["draw"] | None = "draw",
) -> Json:
    """`picture`: the Image element drawn already (see `timeline_card_off_loop`), None for
    none, or "draw" to draw it here (blocking: not for the event loop)."""
    rows: list[Json] = []
    for milestone in timeline.milestones:
        phase = timeline.phase_of(milestone, today)
        label = PHASE_LABEL[phase]
        weight = "Bolder" if phase in ("today", "next") else "Default"
        rows.append(
            {
                "type": "ColumnSet",
                "spacing": "Small",
                "columns": [
                    {
                        "type": "Column",
                        "width": "auto",
                        "items": [
                            {
                                "type": "TextBlock",
                                "text": _when(milestone),
                                "weight": weight,
                                "isSubtle": phase == "past",
                                "wrap": True,
                            }
                        ],
                    },
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [
                            {
                                "type": "TextBlock",
                                "text": f"{milestone.title} ({milestone.source})"
                                + (f" [{label}]" if label else "")
                                + (" (actual)" if milestone.actual else ""),
                                "weight": weight,
                                "isSubtle": phase == "past",
                                "wrap": True,
                            }
                        ],
                    },
                ],
            }
        )
    body: list[Json] = [
        title(f"Timeline: {inspection.service_name}"),
        text(
            f"On site {_day(inspection.onsite_start)} to {_day(inspection.onsite_end)}. "
            "Dates count working days with local bank holidays.",
            subtle=True,
        ),
        # the calendar strip: a timeline is read faster as a picture than as a list
        *(_picture(timeline, today) if isinstance(picture, str) else [picture] if picture else []),
        *rows,
    ]
    for warning in timeline.warnings:
        body.append(text(f"Warning: {warning}", color="Attention"))
    return card(body, [submit("Status", STATUS_ACTION)])


def _picture(timeline: Timeline, today: date) -> list[Json]:
    from bot.features.inspections.timeline_image import timeline_image

    image = timeline_image(timeline, today)
    return [image] if image is not None else []


def timeline_text(inspection: Inspection, timeline: Timeline, today: date) -> str:
    past = [m for m in timeline.milestones if timeline.phase_of(m, today) == "past"]
    upcoming = timeline.upcoming(today, 1)
    parts = [f"Timeline for {inspection.service_name}: {len(past)} milestone(s) past"]
    if upcoming:
        parts.append(f"next: {upcoming[0].title} on {_when(upcoming[0])}")
    return "; ".join(parts) + "."


def status_card(
    inspection: Inspection,
    timeline: Timeline,
    today: date,
    *,
    checklist: str,
    requests: str,
    undelivered: Sequence[str] = (),
    files_mode: str | None = None,
) -> Json:
    nxt = timeline.upcoming(today, 3)
    body: list[Json] = [
        title(f"Status: {inspection.service_name}"),
        facts(
            [
                ("Framework", f"{inspection.framework} ({inspection.inspection_type})"),
                ("On site", f"{_day(inspection.onsite_start)} to {_day(inspection.onsite_end)}"),
                ("Checklist", checklist),
                ("Information requests", requests),
            ]
        ),
        text("**Next deadlines**"),
    ]
    if nxt:
        body.append(facts([(_when(m), f"{m.title} ({m.source})") for m in nxt]))
    else:
        body.append(text("Nothing left on the timeline.", subtle=True))
    if undelivered:
        body.append(text("**Reminders not delivered**"))
        body.extend(text(line, subtle=True) for line in undelivered)
    if files_mode:
        body.append(text(files_mode, subtle=True))
    return card(body, [submit("Timeline", TIMELINE_ACTION)])


def welcome_card(
    inspection: Inspection,
    timeline: Timeline,
    today: date,
    framework: Framework,
) -> Json:
    """Posted (and pinned) in a new inspection channel: who, what to upload, when (7.2)."""
    required = framework.required_items()
    uploads = timeline.find("documents_due")
    body: list[Json] = [
        title(f"Inspection of {inspection.service_name}"),
        text(
            "This channel is where the inspection's documents and information requests live "
            "(handbook 7.2). Upload each required document into its numbered folder in Files; "
            "I check them against the list and keep this channel up to date."
        ),
        facts(
            [
                *people(inspection),
                ("On site", f"{_day(inspection.onsite_start)} to {_day(inspection.onsite_end)}"),
                *([("Uploads due", _day(uploads.date))] if uploads is not None else []),
            ]
        ),
        text(f"**Required documents ({len(required)})**"),
        *(text(f"{n}. {item.title} ({item.source})") for n, item in enumerate(required, 1)),
        text("**Next deadlines**"),
        facts([(_when(m), m.title) for m in timeline.upcoming(today, 3)]),
    ]
    return card(body, [submit("Status", STATUS_ACTION), submit("Timeline", TIMELINE_ACTION)])


def new_inspection_form(frameworks: FrameworkRegistry, *, error: str | None = None) -> Json:
    choices = [
        {"title": f"{f.title}: {spec.title}", "value": f"{f.key}/{type_key}"}
        for f in frameworks
        if f.kind == "inspection"
        for type_key, spec in f.types.items()
    ]
    body: list[Json] = [title("New inspection")]
    if error:
        body.append(text(error, color="Attention"))
    body.extend(
        [
            text(
                "You will be the lead inspector. People typing fast can use the one-line form: "
                'new inspection "Service" onsite 23 March to 27 March link officer @person',
                subtle=True,
            ),
            {
                "type": "Input.ChoiceSet",
                "id": "kind",
                "label": "Framework and type",
                "choices": choices,
                "value": choices[0]["value"] if choices else "",
                "isRequired": True,
                "errorMessage": "Choose the framework and type",
            },
            {
                "type": "Input.Text",
                "id": "service",
                "label": "Service inspected",
                "maxLength": 120,
                "isRequired": True,
                "errorMessage": "Give the service's name",
            },
            {
                "type": "Input.Date",
                "id": "onsite_start",
                "label": "On-site start",
                "isRequired": True,
            },
            {"type": "Input.Date", "id": "onsite_end", "label": "On-site end", "isRequired": True},
            {"type": "Input.Date", "id": "notice", "label": "Notice given (optional)"},
            # Teams' people picker: the value is the person's Entra object id (6.2, 6.1).
            _people_picker("link_officer", "Link officer (the service's contact)"),
            _people_picker("director", "Director (optional)"),
            _people_picker("team", "Inspection team (optional)", multiple=True),
        ]
    )
    return card(body, [submit("Create the inspection", NEW_INSPECTION_ACTION)])


def _people_picker(input_id: str, label: str, *, multiple: bool = False) -> Json:
    return {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": label,
        "choices": [],
        "choices.data": {"type": "Data.Query", "dataset": "graph.microsoft.com/users"},
        "isMultiSelect": multiple,
    }


def created_text(inspection: Inspection, timeline: Timeline, notes: Sequence[str]) -> str:
    lines = [
        f"Inspection of {inspection.service_name} stored (number {inspection.id}), on site "
        f"{_day(inspection.onsite_start)} to {_day(inspection.onsite_end)}."
    ]
    lines.extend(notes)
    lines.extend(f"Warning: {w}" for w in timeline.warnings)
    return "\n\n".join(lines)
